"""The Helm chart: it lints, renders for every values file, validates against Kubernetes'
schemas (1.29 to 1.31, offline), and follows what the services need and the code says."""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import importlib
import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from chart_support import (
    CHART,
    KUBERNETES_VERSIONS,
    ROOT,
    VALUES_FILES,
    by_name,
    chart_values,
    helm,
    hook,
    kubernetes_errors,
    load_sync_script,
    of_kind,
    pod_templates,
    render,
    render_error,
    values_id,
)

from wenze.config import ServiceSettings
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.messaging.streams import SERVICES
from wenze.runtime import Runtime

SCENARIO = {values_id(v): v for v in VALUES_FILES}
CONSOLE = "wz-wenze-console"
# The console's setting for each service's base URL (services/console, ConsoleSettings).
CONSOLE_URL_SETTINGS = {
    "intake": "WENZE_CONSOLE_INTAKE_URL",
    "routing": "WENZE_CONSOLE_ROUTING_URL",
    "review": "WENZE_CONSOLE_REVIEW_URL",
    "sanction-execution": "WENZE_CONSOLE_EXECUTION_URL",
    "notification": "WENZE_CONSOLE_NOTIFICATION_URL",
    "reporting": "WENZE_CONSOLE_REPORTING_URL",
}
# Kinds whose schema belongs to an operator, not to Kubernetes; checked by the tests below.
CUSTOM_KINDS = {"ScaledObject", "PodMonitor"}


def test_there_is_a_values_file_per_scenario() -> None:
    assert set(SCENARIO) == {"values.yaml", "minimal.yaml", "production.yaml", "one-commission.yaml"}


def test_the_chart_carries_the_current_rule_packs_and_realm_files() -> None:
    expected = load_sync_script().expected_files()
    files = CHART / "files"
    carried = {p.relative_to(files).as_posix(): p.read_bytes() for p in files.rglob("*") if p.is_file()}
    assert sorted(carried) == sorted(expected), "run `make chart-files`"
    stale = [name for name, content in expected.items() if carried[name] != content]
    assert not stale, f"stale copies {stale}: run `make chart-files`"


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_helm_lint_strict(values: Path | None) -> None:
    args = ["lint", "--strict", str(CHART)] + ([] if values is None else ["-f", str(values)])
    result = helm(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_rendered_manifests_are_valid_kubernetes(values: Path | None, version: str) -> None:
    docs = render(values)
    assert len(docs) > 40
    problems = [
        f"{doc['kind']} {doc['metadata']['name']} at {error}"
        for doc in docs
        if doc["kind"] not in CUSTOM_KINDS
        for error in kubernetes_errors(doc, version)
    ]
    assert not problems, f"Kubernetes {version} would refuse: {problems}"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_validation_agrees_with_kubernetes_validate_and_catches_a_misplaced_field(version: str) -> None:
    deployment = json.loads(json.dumps(of_kind(render(None), "Deployment")[0]))
    assert kubernetes_validate.validate(deployment, version, strict=True)
    assert kubernetes_errors(deployment, version) == []
    deployment["spec"]["template"]["spec"]["containers"][0]["probes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, version, strict=True)
    assert kubernetes_errors(deployment, version)


def _containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_every_workload_is_probed_bounded_and_unprivileged(values: Path | None) -> None:
    workloads = list(pod_templates(render(values)))
    assert workloads
    for workload, template in workloads:
        name = f"{workload['kind']} {workload['metadata']['name']}"
        pod = template["spec"]
        assert pod.get("automountServiceAccountToken") is False, name
        assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), name
        assert not [v for v in pod.get("volumes", []) if "hostPath" in v], name
        pod_security = pod.get("securityContext", {})
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        for container in _containers(template):
            where = f"{name} container {container['name']}"
            security = {**pod_security, **container.get("securityContext", {})}
            assert security.get("runAsNonRoot") is True, where
            assert security.get("runAsUser", 0) > 0, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("privileged", False) is False, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not security.get("capabilities", {}).get("add"), where
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), where
            assert "memory" in resources.get("limits", {}), where
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp"
            if workload["kind"] == "Deployment":
                ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
                probes = (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"))
                for probe, path in probes:
                    assert container.get(probe, {}).get("httpGet", {}).get("path") == path, f"{where}: {probe}"
                    assert container[probe]["httpGet"]["port"] in ports, f"{where}: {probe} on an undeclared port"
            else:
                assert workload["spec"].get("activeDeadlineSeconds"), f"{where}: a Job must end"


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_each_enabled_service_has_an_api_a_worker_and_their_jobs(values: Path | None) -> None:
    docs = render(values)
    for svc in SERVICES:
        api = by_name(docs, "Deployment", f"wz-wenze-{svc}-api")
        worker = by_name(docs, "Deployment", f"wz-wenze-{svc}-worker")
        module = f"wenze_{svc.replace('-', '_')}"
        assert api["spec"]["template"]["spec"]["containers"][0]["args"][0] == "api"
        assert worker["spec"]["template"]["spec"]["containers"][0]["args"][:1] == ["worker"]
        assert "--health-port" in worker["spec"]["template"]["spec"]["containers"][0]["args"]
        assert api["spec"]["template"]["spec"]["containers"][0]["image"].split("/")[-1].startswith(f"{svc}:")
        assert (
            by_name(docs, "Service", f"wz-wenze-{svc}-api")["spec"]["selector"]
            == (api["spec"]["selector"]["matchLabels"])
        )
        migrate = by_name(docs, "Job", f"wz-wenze-{svc}-migrate")
        streams = by_name(docs, "Job", f"wz-wenze-{svc}-streams")
        assert migrate["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
        assert streams["spec"]["template"]["spec"]["containers"][0]["args"] == ["streams"]
        assert module  # the image's entry point runs the service's command (tested with services/Dockerfile)


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_migrations_then_streams_run_as_hooks_before_install_and_upgrade(values: Path | None) -> None:
    docs = render(values)
    jobs = of_kind(docs, "Job")
    assert jobs
    for job in jobs:
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        weight = int(annotations["helm.sh/hook-weight"])
        assert weight == (-10 if job["metadata"]["name"].endswith("-migrate") else -5)
        pod = job["spec"]["template"]["spec"]
        # Hooks run before the release's own ConfigMaps exist: no envFrom.
        assert "envFrom" not in pod["containers"][0]
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        assert {"NATS_URL", "WENZE_TENANTS", "WENZE_STREAM_REPLICAS", "DATABASE_URL"} <= set(env)
        if job["metadata"]["name"].endswith("-migrate"):
            assert env["MIGRATION_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "migration-database-url"
        sa = by_name(docs, "ServiceAccount", pod["serviceAccountName"])
        assert hook(sa) == "pre-install,pre-upgrade"
        assert int(sa["metadata"]["annotations"]["helm.sh/hook-weight"]) < weight
        # A Secret the chart makes for them is a hook too, made first.
        secret_name = env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"]
        made = [s for s in of_kind(docs, "Secret") if s["metadata"]["name"] == secret_name]
        for secret in made:
            assert hook(secret) == "pre-install,pre-upgrade"
            assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < weight


def test_the_database_secret_is_made_only_without_an_existing_one() -> None:
    minimal = render(SCENARIO["minimal.yaml"])
    secret = by_name(minimal, "Secret", "wz-wenze-database")
    assert secret["stringData"] == {
        "database-url": "postgresql://wenze:wenze@postgresql:5432/wenze",
        "migration-database-url": "postgresql://wenze:wenze@postgresql:5432/wenze",
    }
    production = render(SCENARIO["production.yaml"])
    assert not [s for s in of_kind(production, "Secret") if s["metadata"]["name"] == "wz-wenze-database"]
    for workload, template in pod_templates(production):
        env = {e["name"]: e for e in template["spec"]["containers"][0]["env"]}
        if workload["metadata"]["name"] == CONSOLE:
            assert "DATABASE_URL" not in env, "the console keeps no data"
            continue
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "wenze-database", "key": "database-url"}


def test_every_service_process_reads_one_person_reference_key_the_chart_keeps() -> None:
    minimal = render(SCENARIO["minimal.yaml"])
    secret = by_name(minimal, "Secret", "wz-wenze-person-reference")
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    generated = base64.b64decode(secret["data"]["person-reference-key"]).decode()
    assert len(generated) == 64
    # The key is checked as the services check it.
    assert ServiceSettings(person_reference_key=generated).person_reference_key.get_secret_value() == generated
    own = render(SCENARIO["minimal.yaml"], "personReference.existingSecret=wenze-person-reference")
    assert not [s for s in of_kind(own, "Secret") if s["metadata"]["name"] == "wz-wenze-person-reference"]
    for docs, name in ((minimal, "wz-wenze-person-reference"), (own, "wenze-person-reference")):
        processes = [(w, t) for w, t in pod_templates(docs) if w["kind"] == "Deployment"]
        assert processes
        for workload, template in processes:
            env = {e["name"]: e for e in template["spec"]["containers"][0].get("env", [])}
            if workload["metadata"]["name"] == CONSOLE:
                assert "WENZE_PERSON_REFERENCE_KEY" not in env, "the console derives no reference"
                continue
            assert env["WENZE_PERSON_REFERENCE_KEY"]["valueFrom"]["secretKeyRef"] == {
                "name": name,
                "key": "person-reference-key",
            }, workload["metadata"]["name"]


def _env_config(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    return by_name(docs, "ConfigMap", "wz-wenze-env")["data"]


def test_one_commission_ships_only_its_pack_and_realm_and_trusts_only_them() -> None:
    docs = render(SCENARIO["one-commission.yaml"])
    assert _env_config(docs)["WENZE_TENANTS"] == "kunshan"
    rulesets = by_name(docs, "ConfigMap", "wz-wenze-rulesets")["data"]
    assert rulesets and all(key.startswith("kunshan.") for key in rulesets)
    realms = by_name(docs, "ConfigMap", "wz-wenze-keycloak-realms")["data"]
    assert set(realms) == {"wenze-kunshan.json", "wenze-platform.json"}
    assert json.loads(realms["wenze-kunshan.json"])["realm"] == "wenze-kunshan"


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_the_rule_packs_mount_as_the_packs_directory(values: Path | None) -> None:
    docs = render(values)
    tenants = _env_config(docs)["WENZE_TENANTS"].split(",")
    data = by_name(docs, "ConfigMap", "wz-wenze-rulesets")["data"]
    source = ROOT / "shared" / "rulesets"
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "rulesets"]
        items = {i["key"]: i["path"] for i in volume["configMap"]["items"]}
        assert set(items) == set(data)
        for key, path in items.items():
            assert data[key] == (source / path).read_text(encoding="utf-8"), path
        mounted = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert mounted["rulesets"] == _env_config(docs)["WENZE_RULESETS_DIR"]
    packs = {path.split("/")[0] for path in items.values()}
    assert packs == set(tenants)
    for tenant in tenants:
        assert f"{tenant}/pack.yaml" in items.values()
        assert not [p for p in items.values() if "/cases/" in p], "test cases stay out of the deployment"


def test_the_realm_import_secret_covers_every_placeholder() -> None:
    docs = render(None)
    realms = by_name(docs, "ConfigMap", "wz-wenze-keycloak-realms")["data"]
    secret = by_name(docs, "Secret", "wz-wenze-keycloak-clients")
    placeholders = {name for text in realms.values() for name in re.findall(r"\$\{([A-Z_]+)\}", text)}
    assert placeholders and placeholders <= set(secret["data"])
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_streams_are_replicated_as_the_cluster_allows() -> None:
    assert _env_config(render(SCENARIO["production.yaml"]))["WENZE_STREAM_REPLICAS"] == "3"
    assert len(_env_config(render(SCENARIO["production.yaml"]))["NATS_URL"].split(",")) == 3
    assert _env_config(render(SCENARIO["minimal.yaml"]))["WENZE_STREAM_REPLICAS"] == "1"


def _consumers_in_code(service: str) -> list[dict[str, str]]:
    module = service.replace("-", "_")
    worker = importlib.import_module(f"wenze_{module}.worker")
    make_repositories = importlib.import_module(f"wenze_{module}.repositories").make_repositories

    async def build() -> list[dict[str, str]]:
        # Building a worker's consumers touches neither the database nor NATS.
        engine = create_engine("sqlite+aiosqlite:///:memory:", schema=module)
        try:
            runtime = Runtime(
                settings=ServiceSettings(service_name=service),
                engine=engine,
                nats=None,  # type: ignore[arg-type]
                js=None,  # type: ignore[arg-type]
                uow=UnitOfWorkFactory(engine, make_repositories),
            )
            return [{"stream": s.stream, "durable": s.durable} for s in worker.consumers(runtime)]
        finally:
            await engine.dispose()

    return asyncio.run(build())


@pytest.mark.parametrize("service", SERVICES)
def test_the_consumers_keda_watches_are_those_the_worker_reads(service: str) -> None:
    listed = chart_values()["components"][service]["worker"]["consumers"]
    assert sorted(listed, key=str) == sorted(_consumers_in_code(service), key=str)


def test_keda_scales_workers_on_the_lag_of_each_durable() -> None:
    docs = render(SCENARIO["production.yaml"])
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(docs, "ScaledObject")}
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    deployments = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment")}
    values = chart_values()["components"]
    for svc in SERVICES:
        name = f"wz-wenze-{svc}-worker"
        consumers = values[svc]["worker"]["consumers"]
        if not consumers:
            assert name not in scaled and name in hpas
            continue
        assert name not in hpas, "KEDA makes its own HPA"
        scaled_object = scaled[name]
        assert scaled_object["apiVersion"] == "keda.sh/v1alpha1"
        assert scaled_object["spec"]["minReplicaCount"] >= 1
        triggers = scaled_object["spec"]["triggers"]
        assert [(t["metadata"]["stream"], t["metadata"]["consumer"]) for t in triggers] == [
            (c["stream"], c["durable"]) for c in consumers
        ]
        for trigger in triggers:
            assert trigger["type"] == "nats-jetstream"
            assert set(trigger["metadata"]) == {
                "natsServerMonitoringEndpoint",
                "account",
                "stream",
                "consumer",
                "lagThreshold",
            }
            assert all(isinstance(v, str) for v in trigger["metadata"].values())
        assert "replicas" not in deployments[name]["spec"], "the autoscaler owns the replica count"
    assert set(scaled) <= set(deployments)


def test_without_keda_workers_with_autoscaling_get_a_cpu_hpa() -> None:
    docs = render(SCENARIO["production.yaml"], "keda.enabled=false")
    assert not of_kind(docs, "ScaledObject")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(docs, "HorizontalPodAutoscaler")}
    for svc in SERVICES:
        for role in ("api", "worker"):
            metrics = hpas[f"wz-wenze-{svc}-{role}"]["spec"]["metrics"]
            assert metrics[0]["resource"]["name"] == "cpu"


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_pods_roll_when_settings_or_packs_change(values: Path | None) -> None:
    before = {d["metadata"]["name"]: d for d in of_kind(render(values), "Deployment")}
    after = {d["metadata"]["name"]: d for d in of_kind(render(values, "tenants={kunshan}"), "Deployment")}
    for name, deployment in before.items():
        old = deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        new = after[name]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        if _env_config(render(values))["WENZE_TENANTS"] != "kunshan":
            assert old != new, name
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, name


def test_the_ingress_serves_each_api_at_its_host() -> None:
    docs = render(SCENARIO["production.yaml"])
    (ingress,) = of_kind(docs, "Ingress")
    rules = {r["host"]: r["http"]["paths"][0]["backend"]["service"]["name"] for r in ingress["spec"]["rules"]}
    apis = {f"{svc}.wenze.example.gov.cn": f"wz-wenze-{svc}-api" for svc in SERVICES}
    assert rules == {**apis, "wenze.example.gov.cn": CONSOLE}
    tls = {host: entry.get("secretName") for entry in ingress["spec"]["tls"] for host in entry["hosts"]}
    assert tls == {**dict.fromkeys(apis, "wenze-wildcard-tls"), "wenze.example.gov.cn": "wenze-console-tls"}
    assert not of_kind(render(SCENARIO["minimal.yaml"]), "Ingress")


def test_a_disabled_component_leaves_nothing_behind() -> None:
    docs = render(None, "components.reporting.enabled=false")
    names = [d["metadata"]["name"] for d in docs]
    assert not [n for n in names if "reporting" in n]


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (("tenants={beijing}",), "tenants.0"),
        (("nats.streamReplicas=2",), "nats.streamReplicas"),
        (("nats.url=http://nats:4222",), "nats.url"),
        (("database.url=mysql://u@db/wenze",), "database.url"),
        (("components.intake.nats.credentials.kind=token",), "components.intake.nats.credentials.kind"),
        (("components.console.enabled=true",), "components"),
        (("securityContext.allowPrivilegeEscalation=true",), "securityContext.allowPrivilegeEscalation"),
        (("podSecurityContext.runAsNonRoot=false",), "podSecurityContext.runAsNonRoot"),
        (("defaults.api.replicas=-1",), "defaults.api.replicas"),
        (("platformRealm=wenze-kunshan",), "platformRealm"),
        (("keycloak.url=id.example.org",), "keycloak.url"),
    ],
)
def test_values_outside_the_schema_are_refused_naming_the_field(sets: tuple[str, ...], message: str) -> None:
    assert message in render_error(None, *sets)


def test_a_deployment_without_database_settings_is_refused_in_a_sentence() -> None:
    error = render_error(None, "database.existingSecret=")
    assert "database: set existingSecret" in error


def test_the_schema_lists_exactly_the_tenants_with_packs() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    packs = sorted(p.name for p in (ROOT / "shared" / "rulesets").iterdir() if (p / "pack.yaml").is_file())
    assert schema["properties"]["tenants"]["items"]["enum"] == packs
    assert sorted(yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))["tenants"]) == packs


def test_metrics_are_served_off_the_api_port_and_announced_to_prometheus() -> None:
    docs = render(SCENARIO["production.yaml"], "metrics.podMonitor.enabled=true")
    for deployment in of_kind(docs, "Deployment"):
        template = deployment["spec"]["template"]
        role = template["metadata"]["labels"]["wenze.dev/role"]
        container = template["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        annotations = template["metadata"]["annotations"]
        if deployment["metadata"]["name"] == CONSOLE:
            # The console serves no metrics: nothing announces a port it does not serve.
            assert ports == {"http": 8000} and "prometheus.io/scrape" not in annotations
            continue
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        env = {e["name"]: e.get("value") for e in container["env"]}
        svc = template["metadata"]["labels"]["wenze.dev/service"]
        if role == "api":
            assert ports == {"http": 8000, "metrics": 9464}
            assert annotations["prometheus.io/port"] == "9464"
            assert env[f"WENZE_{svc.replace('-', '_').upper()}_METRICS_PORT"] == "9464"
        else:
            assert ports == {"http": 8081} and annotations["prometheus.io/port"] == "8081"
    service_ports = {p["port"] for s in of_kind(docs, "Service") for p in s["spec"]["ports"]}
    assert service_ports == {80}, "the Service (and the Ingress behind it) never exposes the metrics port"
    monitors = {m["spec"]["selector"]["matchLabels"]["wenze.dev/role"]: m for m in of_kind(docs, "PodMonitor")}
    assert monitors["api"]["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    assert monitors["worker"]["spec"]["podMetricsEndpoints"][0]["port"] == "http"
    quiet = render(None, "metrics.enabled=false")
    assert not of_kind(quiet, "PodMonitor")
    for deployment in of_kind(quiet, "Deployment"):
        assert "prometheus.io/scrape" not in deployment["spec"]["template"]["metadata"]["annotations"]


# The staff console (ADR 0033, ADR 0039).


def _console_env(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    (container,) = by_name(docs, "Deployment", CONSOLE)["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"]}


def test_the_console_settings_the_chart_sets_are_the_consoles_own() -> None:
    from wenze_console.config import ConsoleSettings

    fields = {f"WENZE_CONSOLE_{name.upper()}" for name in ConsoleSettings.model_fields}
    assert set(CONSOLE_URL_SETTINGS.values()) <= fields
    assert {n for n in _console_env(render(None)) if n.startswith("WENZE_CONSOLE_")} <= fields
    assert set(CONSOLE_URL_SETTINGS) == set(SERVICES)


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_the_console_runs_exactly_one_pod_and_nothing_scales_it(values: Path | None) -> None:
    docs = render(values)
    console = by_name(docs, "Deployment", CONSOLE)
    assert console["spec"]["replicas"] == 1
    (container,) = console["spec"]["template"]["spec"]["containers"]
    assert container["args"][:1] == ["api"] and container["image"].split("/")[-1].startswith("console:")
    for kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        assert CONSOLE not in [d["spec"]["scaleTargetRef"]["name"] for d in of_kind(docs, kind)], kind
    assert not [j for j in of_kind(docs, "Job") if "console" in j["metadata"]["name"]], "no schema, no stream"
    service = by_name(docs, "Service", CONSOLE)
    assert service["spec"]["selector"] == console["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_the_console_calls_each_service_at_its_service_in_the_cluster(values: Path | None) -> None:
    docs = render(values)
    env = _console_env(docs)
    for svc, setting in CONSOLE_URL_SETTINGS.items():
        api = by_name(docs, "Service", f"wz-wenze-{svc}-api")
        assert env[setting] == f"http://{api['metadata']['name']}", setting
        assert api["spec"]["ports"][0]["port"] == 80
        deployment = by_name(docs, "Deployment", f"wz-wenze-{svc}-api")
        assert api["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    # The realms and the tenants the console signs in with are the services' own settings.
    (container,) = by_name(docs, "Deployment", CONSOLE)["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": "wz-wenze-env"}}]
    platform = _env_config(docs)
    assert {"WENZE_OIDC_BASE_URL", "WENZE_TENANTS", "WENZE_RULESETS_DIR"} <= set(platform)


def test_a_disabled_service_is_not_named_to_the_console() -> None:
    env = _console_env(render(None, "components.reporting.enabled=false"))
    assert "WENZE_CONSOLE_REPORTING_URL" not in env
    assert env["WENZE_CONSOLE_INTAKE_URL"] == "http://wz-wenze-intake-api"


@pytest.mark.parametrize(
    ("values", "address", "secure"),
    [
        ("values.yaml", "https://wenze.example.org", "true"),
        ("minimal.yaml", "http://localhost:8000", "false"),
        ("production.yaml", "https://wenze.example.gov.cn", "true"),
        ("one-commission.yaml", "https://wenze.kunshan.example.gov.cn", "true"),
    ],
)
def test_the_console_returns_logins_to_its_public_address_with_secure_cookies_over_tls(
    values: str, address: str, secure: str
) -> None:
    docs = render(SCENARIO[values])
    env = _console_env(docs)
    assert env["WENZE_CONSOLE_PUBLIC_URL"] == address
    assert env["WENZE_CONSOLE_SECURE_COOKIES"] == secure
    if any(of_kind(docs, "Ingress")):
        (ingress,) = of_kind(docs, "Ingress")
        host = address.removeprefix("https://")
        (rule,) = [r for r in ingress["spec"]["rules"] if r["host"] == host]
        assert rule["http"]["paths"] == [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": CONSOLE, "port": {"name": "http"}}}}
        ]
        assert host in [h for entry in ingress["spec"]["tls"] for h in entry["hosts"]]


def test_the_realms_send_logins_back_to_the_consoles_callback() -> None:
    """The wenze-web client of every realm lists ${WENZE_WEB_URL}/*; the chart fills it with the
    console's address, the one the console builds its callback from (a trailing slash too)."""
    docs = render(None, "keycloak.realmImport.webUrl=https://staff.example.org/")
    web_url = base64.b64decode(by_name(docs, "Secret", "wz-wenze-keycloak-clients")["data"]["WENZE_WEB_URL"]).decode()
    assert web_url == "https://staff.example.org"
    public_url = _console_env(docs)["WENZE_CONSOLE_PUBLIC_URL"]
    assert public_url == web_url
    for name, text in by_name(docs, "ConfigMap", "wz-wenze-keycloak-realms")["data"].items():
        realm = json.loads(text)
        if realm["realm"] == "wenze-platform":
            continue
        (client,) = [c for c in realm["clients"] if c["clientId"] == "wenze-web"]
        patterns = [uri.replace("${WENZE_WEB_URL}", web_url) for uri in client["redirectUris"]]
        callback = f"{public_url}/t/{realm['realm'].removeprefix('wenze-')}/callback"
        assert any(fnmatch.fnmatchcase(callback, p) for p in patterns), (name, patterns)


def test_a_second_console_replica_is_refused_saying_why() -> None:
    assert "console.replicas: Must be less than or equal to 1" in render_error(None, "console.replicas=2")
    # Where schema checks are skipped, the chart's own check refuses it in a sentence.
    result = helm("template", "wz", str(CHART), "--skip-schema-validation", "--set", "console.replicas=2")
    assert result.returncode != 0
    assert "console.replicas: at most 1" in result.stderr and "ADR 0039" in result.stderr
    assert "console: Additional property autoscaling is not allowed" in render_error(
        None, "console.autoscaling.enabled=true"
    )


def test_a_console_address_the_console_cannot_serve_is_refused() -> None:
    with_path = render_error(None, "keycloak.realmImport.webUrl=https://wenze.example.org/console")
    assert "the console is served at the root of its host" in with_path
    plain = render_error(SCENARIO["production.yaml"], "keycloak.realmImport.webUrl=http://wenze.example.gov.cn")
    assert "the Ingress serves TLS, so the console's address is https://wenze.example.gov.cn" in plain


def test_without_the_console_nothing_of_it_is_left_and_no_api_admits_it() -> None:
    docs = render(None, "console.enabled=false")
    assert not [d for d in docs if "console" in d["metadata"]["name"]]
    for policy in of_kind(docs, "NetworkPolicy"):
        peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        assert not [
            p for p in peers if p.get("podSelector", {}).get("matchLabels", {}).get("wenze.dev/service") == "console"
        ]
