"""Every pod of the chart is fenced in by a NetworkPolicy that allows only the traffic the
architecture needs: requests reach an API through the ingress controller and from the staff
console; every service process reaches DNS, PostgreSQL, NATS and (when traces are exported)
the OTLP collector; an API also reaches Keycloak for its realms' signing keys. The console
reaches DNS, the APIs and Keycloak, nothing else. No service talks to another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from chart_support import VALUES_FILES, chart_values, of_kind, pod_templates, render, values_id

from wenze.messaging.streams import SERVICES

KEYCLOAK_PORT = {"values.yaml": 443, "minimal.yaml": 8080, "production.yaml": 8080, "one-commission.yaml": 443}


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _policy_of(docs: tuple[dict[str, Any], ...], labels: dict[str, str]) -> dict[str, Any]:
    policies = [p for p in of_kind(docs, "NetworkPolicy") if _selects(p, labels)]
    assert len(policies) == 1, f"{labels}: {len(policies)} NetworkPolicies select it"
    return policies[0]


def _egress_ports(policy: dict[str, Any]) -> set[tuple[str, int]]:
    return {(p.get("protocol", "TCP"), int(p["port"])) for rule in policy["spec"]["egress"] for p in rule["ports"]}


CONSOLE_LABELS = {
    "app.kubernetes.io/name": "wenze",
    "app.kubernetes.io/instance": "wz",
    "app.kubernetes.io/component": "console-web",
    "wenze.dev/service": "console",
    "wenze.dev/role": "web",
}


def _peer_selects(peer: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a NetworkPolicyPeer admits pods with these labels in the release's namespace."""
    if "namespaceSelector" in peer or "ipBlock" in peer:
        return False
    wanted = peer.get("podSelector", {}).get("matchLabels", {})
    return all(labels.get(k) == v for k, v in wanted.items())


def _expected_egress(values: Path | None, role: str, docs: tuple[dict[str, Any], ...]) -> set[tuple[str, int]]:
    env = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == "wz-wenze-env")["data"]
    if role == "web":
        # The console: DNS, the APIs, the realms (the same Keycloak address as the APIs').
        return {("UDP", 53), ("TCP", 53), ("TCP", 8000), ("TCP", KEYCLOAK_PORT[values_id(values)])}
    expected = {("UDP", 53), ("TCP", 53), ("TCP", 5432), ("TCP", 4222)}
    if "OTEL_EXPORTER_OTLP_ENDPOINT" in env:
        expected.add(("TCP", 4318))
    if role == "api":
        expected.add(("TCP", KEYCLOAK_PORT[values_id(values)]))
    return expected


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_every_pod_is_selected_by_exactly_one_policy_for_both_directions(values: Path | None) -> None:
    docs = render(values)
    for workload, template in pod_templates(docs):
        policy = _policy_of(docs, template["metadata"]["labels"])
        assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"], workload["metadata"]["name"]


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_only_the_ingress_controller_named_clients_and_scrapers_connect(values: Path | None) -> None:
    docs = render(values)
    settings = chart_values()
    ingress_on = any(i for i in of_kind(docs, "Ingress"))
    scrapers = settings["metrics"]["scrapers"]
    for workload, template in pod_templates(docs):
        labels = template["metadata"]["labels"]
        name = workload["metadata"]["name"]
        rules = _policy_of(docs, labels)["spec"]["ingress"]
        by_port = {}
        for rule in rules:
            assert rule["from"], f"{name}: an ingress rule without peers admits every pod and address"
            assert not [peer for peer in rule["from"] if "ipBlock" in peer], name
            ((port,),) = [[p["port"] for p in rule["ports"]]]
            by_port[port] = rule["from"]
        role = labels["wenze.dev/role"]
        if role in ("migrate", "streams"):
            assert rules == [], f"{name}: nothing connects to a job"
            continue
        if role == "web":
            # The console: browsers through the ingress controller (or the named clients); no metrics.
            clients = by_port.pop(8000, [])
            assert by_port == {}, name
            expected = _scenario_network(values).get("apiClients", [])
            if ingress_on:
                controller = settings["ingress"]["controller"]
                expected = [
                    {"namespaceSelector": controller["namespaceSelector"], "podSelector": controller["podSelector"]},
                    *expected,
                ]
            assert clients == expected, name
            continue
        annotations = template["metadata"].get("annotations", {})
        metrics_port = int(annotations["prometheus.io/port"])
        assert by_port.pop(metrics_port) == scrapers, f"{name}: metrics only for the scrapers"
        if role == "worker":
            assert metrics_port == 8081
            assert by_port == {}, f"{name}: only the scrapers connect to a worker"
            continue
        assert metrics_port == 9464
        clients = by_port.pop(8000, [])
        assert by_port == {}, name
        # The console calls the APIs with its users' tokens: its pods, and only they, besides.
        console_peers = [
            peer
            for peer in clients
            if peer.get("podSelector", {}).get("matchLabels", {}).get("wenze.dev/service") == "console"
        ]
        assert len(console_peers) == 1, f"{name}: the console reaches it"
        assert _peer_selects(console_peers[0], CONSOLE_LABELS), f"{name}: the peer selects the console's pods"
        clients = [peer for peer in clients if peer not in console_peers]
        if ingress_on:
            controller = settings["ingress"]["controller"]
            assert {"namespaceSelector": controller["namespaceSelector"], "podSelector": controller["podSelector"]} in (
                clients
            )
        else:
            assert clients == _scenario_network(values).get("apiClients", []), name


def _scenario_network(values: Path | None) -> dict[str, Any]:
    own = {} if values is None else yaml.safe_load(values.read_text(encoding="utf-8")).get("networkPolicy") or {}
    return {**chart_values()["networkPolicy"], **own}


def test_without_metrics_nothing_connects_to_a_worker() -> None:
    docs = render(None, "metrics.enabled=false")
    for _, template in pod_templates(docs):
        labels = template["metadata"]["labels"]
        rules = _policy_of(docs, labels)["spec"]["ingress"]
        if labels["wenze.dev/role"] in ("worker", "migrate", "streams"):
            assert rules == []
        else:
            # An API admits its clients (the console at least), the console only its browsers.
            assert [p["port"] for rule in rules for p in rule["ports"]] in ([], [8000])


@pytest.mark.parametrize("values", VALUES_FILES, ids=values_id)
def test_egress_is_only_dns_postgres_nats_otlp_and_keycloak_for_apis(values: Path | None) -> None:
    docs = render(values)
    extra = {
        svc: {
            (p.get("protocol", "TCP"), int(p["port"]))
            for rule in (component.get("networkPolicy") or {}).get("extraEgress", [])
            for p in rule["ports"]
        }
        for svc, component in _scenario_components(values).items()
    }
    for workload, template in pod_templates(docs):
        labels = template["metadata"]["labels"]
        role, svc = labels["wenze.dev/role"], labels["wenze.dev/service"]
        policy = _policy_of(docs, labels)
        expected = _expected_egress(values, role, docs)
        if role in ("api", "worker"):
            expected |= extra.get(svc, set())
        assert _egress_ports(policy) == expected, workload["metadata"]["name"]
        for rule in policy["spec"]["egress"]:
            assert rule["ports"], "an egress rule without ports would open every port"
            if any(int(p["port"]) == 53 for p in rule["ports"]):
                assert rule["to"], "DNS only to the cluster's DNS"


def _scenario_components(values: Path | None) -> dict[str, Any]:
    components = chart_values()["components"]
    if values is not None:
        for svc, own in (yaml.safe_load(values.read_text(encoding="utf-8")).get("components") or {}).items():
            components[svc] = {**components[svc], **own}
    return components


def test_production_names_where_each_dependency_runs() -> None:
    production = next(v for v in VALUES_FILES if v is not None and v.name == "production.yaml")
    docs = render(production)
    for svc in SERVICES:
        policy = _policy_of(
            docs,
            {
                "app.kubernetes.io/name": "wenze",
                "app.kubernetes.io/instance": "wz",
                "app.kubernetes.io/component": f"{svc}-api",
                "wenze.dev/service": svc,
                "wenze.dev/role": "api",
            },
        )
        for rule in policy["spec"]["egress"]:
            assert rule.get("to"), f"{svc}: production opens no port to any address ({rule['ports']})"


def test_switching_policies_off_removes_them_all() -> None:
    assert not of_kind(render(None, "networkPolicy.enabled=false"), "NetworkPolicy")
