from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from wenze_devtools.testing.infra import ServiceProcess


@pytest.fixture(scope="session")
def intake(service_factory) -> ServiceProcess:
    return service_factory("intake", import_batch_size="50")


@pytest.fixture(scope="session")
def client_for(intake: ServiceProcess, token) -> Callable[..., httpx.Client]:
    """``client_for("wenze-kunshan", "ks-intake")``: an HTTP client holding that user's token."""
    clients: list[httpx.Client] = []

    def make(realm: str, username: str) -> httpx.Client:
        client = httpx.Client(
            base_url=intake.url, timeout=30, headers={"Authorization": f"Bearer {token(realm, username)}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def ks_intake(client_for) -> httpx.Client:
    return client_for("wenze-kunshan", "ks-intake")


SOURCE = "city_government"


def person(name: str = "张明", **extra) -> dict:
    return {
        "kind": "person",
        "name": name,
        "post": "副局长",
        "unit": "市住房和城乡建设局",
        "cadre_level": "city_managed",
        "sector": "city_department",
        "party_member": True,
        **extra,
    }


def matter(**extra) -> dict:
    body = {
        "source": SOURCE,
        "source_reference": f"昆政办函〔2026〕{uuid.uuid4().hex[:12]}号",
        "summary": "城市更新项目推进不力",
        "facts": "2026年3月，某项目因审批拖延停滞两个月，造成不良影响。",
        "targets": [person()],
        "proposed_form": "form_2",
    }
    body.update(extra)
    return body


@pytest.fixture(scope="session")
def make_matter():
    """A valid Kunshan matter body; keyword arguments replace fields."""
    return matter


@pytest.fixture(scope="session")
def make_person():
    return person


def wait_done(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/matter-imports/{job_id}").json()
        if job["state"] in ("completed", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"import {job_id} did not finish: {job}")


@pytest.fixture(scope="session")
def finished_import() -> Callable[..., dict]:
    """``finished_import(client, job_id)``: the import job once it has completed or failed."""
    return wait_done
