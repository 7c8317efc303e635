"""services/Dockerfile, which builds every service's image, keeps the rules every image keeps:
multi-stage from a base given as a build argument, the locked dependencies of the one service
only, a numeric non-root user, nothing written outside the data directory and /tmp, and the
service's own command as entry point. (`make images` builds them; docs/operations/images.md
says how it was run.)"""

from __future__ import annotations

import re
import tomllib

import pytest
from chart_support import ROOT

from wenze.messaging.streams import SERVICES as STREAM_SERVICES

# The console publishes nothing, so has no stream; its image keeps the same rules.
SERVICES = (*STREAM_SERVICES, "console")


def _dockerfile() -> str:
    return (ROOT / "services" / "Dockerfile").read_text(encoding="utf-8")


def _pyproject(service: str) -> dict:
    return tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text(encoding="utf-8"))


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_no_service_keeps_a_dockerfile_of_its_own() -> None:
    assert not list((ROOT / "services").glob("*/Dockerfile"))


def test_the_image_is_built_in_two_stages_from_the_base_argument() -> None:
    steps = _instructions(_dockerfile())
    assert steps[0] == ("ARG", "BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm")
    froms = [arg for op, arg in steps if op == "FROM"]
    assert froms == ["${BASE_IMAGE} AS build", "${BASE_IMAGE}"]


def test_only_the_locked_dependencies_of_the_one_service_are_installed() -> None:
    runs = [arg for op, arg in _instructions(_dockerfile()) if op == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert len(syncs) == 2
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync and "--package wenze-${SERVICE}" in sync
    installs = [r for r in runs if "pip install" in r]
    assert installs == [r for r in runs if "pip install" in r and re.search(r"uv==\$\{UV_VERSION\}", r)]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.M)
    assert uv_version and f"ARG UV_VERSION={uv_version.group(1)}" in _dockerfile()


def test_the_final_stage_runs_as_a_numeric_user_with_a_read_only_root() -> None:
    steps = _instructions(_dockerfile())
    final = steps[[i for i, (op, _) in enumerate(steps) if op == "FROM"][-1] :]
    users = [arg for op, arg in final if op == "USER"]
    assert users and re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", users[-1])
    copies = [arg for op, arg in final if op == "COPY"]
    allowed = ("--from=build /app/.venv ", "--from=build /app/debian-packages ", "shared/rulesets ")
    assert all(c.startswith(allowed) for c in copies), copies
    env = " ".join(arg for op, arg in final if op == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "WENZE_DATA_DIR=/var/lib/wenze" in env
    assert ("ENTRYPOINT", '["wenze-service"]') in final


@pytest.mark.parametrize("service", SERVICES)
def test_the_entry_point_is_the_services_own_command(service: str) -> None:
    """The image links ``wenze-service`` to the ``wenze-<svc>`` script the service's package declares."""
    runs = [arg for op, arg in _instructions(_dockerfile()) if op == "RUN"]
    assert any("ln -s wenze-${SERVICE} /app/.venv/bin/wenze-service" in r for r in runs)
    module = f"wenze_{service.replace('-', '_')}"
    assert _pyproject(service)["project"]["scripts"][f"wenze-{service}"] == f"{module}.__main__:main"


@pytest.mark.parametrize("service", SERVICES)
def test_the_debian_packages_a_service_asks_for_are_plain_package_names(service: str) -> None:
    packages = _pyproject(service).get("tool", {}).get("wenze", {}).get("image", {}).get("debian-packages", [])
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", p) for p in packages), packages


def test_the_build_copies_only_the_one_service_and_the_shared_library() -> None:
    copies = [arg for op, arg in _instructions(_dockerfile()) if op == "COPY" and "--from" not in arg]
    for copy in copies:
        sources = copy.split()[:-1]
        for source in sources:
            assert source in ("pyproject.toml", "uv.lock") or source.startswith(("shared/", "services/${SERVICE}/")), (
                copy
            )


def test_the_build_context_leaves_out_what_no_image_needs() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert next(line for line in ignore if line and not line.startswith("#")) == "**"
    assert "shared/rulesets/*/cases/" in ignore
    assert not [line for line in ignore if "devtools/src" in line], "development tools stay out of images"
