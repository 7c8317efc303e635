"""Black-box: a token from the identity provider, a matter submitted and accepted over HTTP,
and ``matter.accepted`` on NATS JetStream under the same trace as the HTTP request."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import uuid

import httpx
import nats
import pytest
from keycloak import KeycloakOpenID

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def intake_url(service_factory) -> str:
    return service_factory("intake").url


def keycloak_token(issuer_url: str, realm: str, username: str) -> str:
    client = KeycloakOpenID(
        server_url=issuer_url, realm_name=realm, client_id="wenze-api", client_secret_key="wenze-dev-secret"
    )
    return client.token(username, "wenze")["access_token"]


def traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


async def next_message(nats_url: str, subject: str, matter_id: str, timeout: float = 15):
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subject, ordered_consumer=True)
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                continue
            if json.loads(msg.data)["matter_id"] == matter_id:
                return msg
        raise AssertionError(f"no {subject} for {matter_id} within {timeout}s")
    finally:
        await nc.close()


# Cadre levels are each tenant's own vocabulary (Kunshan: city-managed or not; Zhenxiong: leader or staff).
@pytest.mark.parametrize(
    "realm,submitter,source,acceptor,cadre_level",
    [
        ("wenze-kunshan", "ks-supervision-1", "city_government", "ks-intake", "city_managed"),
        ("wenze-zhenxiong", "zx-intake", None, "zx-intake", "leader"),
    ],
)
def test_submit_accept_and_event_carries_the_trace(
    issuer_url, intake_url, nats_server, realm, submitter, source, acceptor, cadre_level
) -> None:
    tenant = realm.removeprefix("wenze-")
    submit_headers = {"Authorization": f"Bearer {keycloak_token(issuer_url, realm, submitter)}"}
    accept_headers = {"Authorization": f"Bearer {keycloak_token(issuer_url, realm, acceptor)}"}
    with httpx.Client(base_url=intake_url, timeout=30) as http:
        sources = http.get("/v1/sources", headers=submit_headers).json()
        source = source or sources[0]["code"]
        body = {
            "source": source,
            "source_reference": f"E2E-{uuid.uuid4().hex[:10]}",
            "summary": "端到端测试事项",
            "facts": "用于验证受理事件与追踪上下文。",
            "targets": [{"kind": "person", "name": "刘洋", "cadre_level": cadre_level}],
        }
        created = http.post("/v1/matters", json=body, headers=submit_headers)
        assert created.status_code == 201, created.text
        matter_id = created.json()["id"]

        received = asyncio.run(next_message(nats_server.url, f"intake.{tenant}.matter.received.v1", matter_id))
        assert json.loads(received.data)["number"] == created.json()["number"]

        trace_id, header = traceparent()
        accepted = http.post(
            f"/v1/matters/{matter_id}/acceptance",
            json={"outcome": "accepted", "participants": ["甲", "乙"], "study_date": dt.date.today().isoformat()},
            headers={**accept_headers, "traceparent": header},
        )
        assert accepted.status_code == 200, accepted.text

    message = asyncio.run(next_message(nats_server.url, f"intake.{tenant}.matter.accepted.v1", matter_id))
    event = json.loads(message.data)
    assert event["tenant"] == tenant and event["accepted_by"] == acceptor
    assert event["targets"][0]["name"] == "刘洋"
    assert message.headers["Nats-Msg-Id"] == event["event_id"]
    assert message.headers["traceparent"].split("-")[1] == trace_id
