"""A running service's metrics, scraped as Prometheus scrapes them: requests per route with
their status and latency from the API's metrics port; the outbox backlog and its oldest
row's age, the lag of each durable consumer and the rows by state per tenant from a worker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from wenze_devtools.testing.infra import NatsServer, end_with_parent, free_port, service_env
from wenze_devtools.testing.stack_plugin import ServiceFactory

pytestmark = pytest.mark.integration

MATTER = {
    "source": "city_government",
    "source_reference": "昆政办函〔2026〕12号",
    "summary": "项目推进不力",
    "facts": "指标测试",
    "targets": [{"kind": "person", "name": "张明", "cadre_level": "city_managed", "sector": "city_department"}],
    "proposed_form": "form_2",
}


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """(labels, value) of every sample of ``name``."""
    found = []
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{([^}}]*)\}})? (\S+)$", line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
            found.append((labels, float(match.group(2))))
    return found


def _value(text: str, name: str, **labels: str) -> float | None:
    """The value of the one sample of ``name`` whose labels include ``labels``."""
    matching = [v for found, v in _samples(text, name) if labels.items() <= found.items()]
    assert len(matching) <= 1, matching
    return matching[0] if matching else None


def _scrape_until(url: str, ready: Callable[[str], bool], timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                assert response.headers["content-type"].startswith("text/plain")
                text = response.text
                if ready(text):
                    return text
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} never showed what was expected; last scrape:\n{text[-3000:]}")


@pytest.fixture
def worker_of(
    nats_server: NatsServer, database_url: str, issuer_url: str, tmp_path: Path
) -> Iterator[Callable[[str], int]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(service: str) -> int:
        port = free_port()
        env = service_env(
            service,
            database_url=database_url,
            nats_url=nats_server.url,
            oidc_base_url=issuer_url,
            data_dir=tmp_path,
            metrics_sample_seconds="0.5",
        )
        module = f"wenze_{service.replace('-', '_')}"
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", module, "worker", "--health-port", str(port)],
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"{service}-worker.log").open("ab"),
                preexec_fn=end_with_parent,
            )
        )
        return port

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def test_a_running_service_reports_requests_backlog_lag_and_states(
    service_factory: ServiceFactory, token: Callable[..., str], worker_of: Callable[[str], int]
) -> None:
    metrics_port = free_port()
    api = service_factory("intake", metrics_port=str(metrics_port), relay_in_api="false")
    headers = {"Authorization": f"Bearer {token('wenze-kunshan', 'ks-intake')}"}
    created = httpx.post(f"{api.url}/v1/matters", json=MATTER, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    assert httpx.get(f"{api.url}/v1/matters", headers=headers, timeout=10).status_code == 200
    assert httpx.get(f"{api.url}/v1/matters", timeout=10).status_code == 401

    # Requests by route, status and latency, on the metrics port only.
    api_metrics = _scrape_until(
        f"http://127.0.0.1:{metrics_port}/metrics",
        lambda text: 'http_response_status_code="401"' in text,
    )
    for status in ("201", "200", "401"):
        count = _value(
            api_metrics,
            "http_server_request_duration_seconds_count",
            http_route="/v1/matters",
            http_response_status_code=status,
        )
        assert count == 1, (status, count)
    assert _value(api_metrics, "http_server_request_duration_seconds_sum", http_response_status_code="201")
    routes = {
        labels.get("http_route") for labels, _ in _samples(api_metrics, "http_server_request_duration_seconds_count")
    }
    assert not routes & {"/readyz", "/healthz"}, "probes are not counted"
    assert httpx.get(f"{api.url}/metrics", timeout=5).status_code == 404, "the API's own port does not show them"

    # Intake's worker: the matter by state for its tenant, and the outbox.
    intake_worker = worker_of("intake")
    intake_metrics = _scrape_until(
        f"http://127.0.0.1:{intake_worker}/metrics",
        lambda text: 'table="matters"' in text and "wenze_outbox_backlog" in text,
    )
    assert (_value(intake_metrics, "wenze_aggregates", table="matters", tenant="kunshan", state="received") or 0) >= 1
    assert _value(intake_metrics, "wenze_outbox_backlog") is not None
    assert _value(intake_metrics, "wenze_outbox_oldest_age_seconds") is not None

    # Routing's worker: the lag of each durable consumer it reads, and its dead letters (none).
    routing_worker = worker_of("routing")
    routing_metrics = _scrape_until(
        f"http://127.0.0.1:{routing_worker}/metrics",
        lambda text: "wenze_consumer_lag" in text
        and "routing-targets-identified" in text
        and "wenze_consumer_dead_letters" in text,
    )
    for durable, stream in (
        ("routing-accepted", "INTAKE"),
        ("routing-consultation-concluded", "REVIEW"),
        ("routing-targets-identified", "REVIEW"),
    ):
        assert _value(routing_metrics, "wenze_consumer_lag", durable=durable, stream=stream) is not None, durable
        assert _value(routing_metrics, "wenze_consumer_ack_pending", durable=durable, stream=stream) is not None
        assert _value(routing_metrics, "wenze_consumer_dead_letters", durable=durable, stream=stream) == 0
