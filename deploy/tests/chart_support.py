"""Rendering the chart with the project's own helm, for the chart's tests."""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / ".tools" / "bin" / "helm"
CHART = ROOT / "deploy" / "helm" / "wenze"
SCENARIOS = ROOT / "deploy" / "helm" / "scenarios"
# The chart's own values.yaml, then every scenario file over it.
VALUES_FILES: list[Path | None] = [None, *sorted(SCENARIOS.glob("*.yaml"))]
KUBERNETES_VERSIONS = ["1.29.0", "1.30.0", "1.31.0"]
RELEASE = "wz"


def values_id(values: Path | None) -> str:
    return "values.yaml" if values is None else values.name


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    if not HELM.exists():
        raise AssertionError(f"{HELM.relative_to(ROOT)} is missing: `make helm` fetches it (`make test` does too)")
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def _values_args(values: Path | None, sets: tuple[str, ...]) -> list[str]:
    args = [] if values is None else ["-f", str(values)]
    for item in sets:
        args += ["--set", item]
    return args


@cache
def render(values: Path | None, *sets: str) -> tuple[dict[str, Any], ...]:
    """The manifests ``helm template`` renders, hooks included."""
    result = helm("template", RELEASE, str(CHART), "--namespace", "wenze", *_values_args(values, sets))
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render_error(values: Path | None, *sets: str) -> str:
    result = helm("template", RELEASE, str(CHART), *_values_args(values, sets))
    assert result.returncode != 0, "rendered values that should have been refused"
    return result.stderr


def of_kind(docs: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def by_name(docs: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    return found


def pod_templates(docs: tuple[dict[str, Any], ...]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, its pod template) for every object that makes pods."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc, doc["spec"]["template"]
        elif doc["kind"] == "CronJob":
            yield doc, doc["spec"]["jobTemplate"]["spec"]["template"]


def hook(doc: dict[str, Any]) -> str | None:
    return (doc["metadata"].get("annotations") or {}).get("helm.sh/hook")


def load_sync_script() -> Any:
    spec = importlib.util.spec_from_file_location("sync_chart_files", ROOT / "deploy" / "helm" / "sync-chart-files.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chart_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))


@cache
def _definitions(version: str) -> Any:
    from kubernetes_validate.utils import schema_contents

    return schema_contents(f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version)


@cache
def _validator(version: str, api_version: str, kind: str) -> Any:
    """kubernetes-validate's strict schema for a kind, compiled once per run.

    kubernetes_validate.validate() reads the version's definitions (megabytes of JSON) again
    on every call; this does what it does, once per version and kind.
    """
    import re

    import jsonschema
    from kubernetes_validate.utils import schema_contents
    from referencing import Registry, Resource

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = schema_contents(
        f"kubernetes-json-schema/v{version}-local-strict/{kind.lower()}-{group_version}.json", version
    )
    registry = Resource.from_contents(_definitions(version)) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_errors(doc: dict[str, Any], version: str) -> list[str]:
    """What Kubernetes ``version`` (e.g. 1.30.0) would refuse in ``doc``, strictly (unknown fields too)."""
    return [
        f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _validator(version, doc["apiVersion"], doc["kind"]).iter_errors(doc)
    ]
