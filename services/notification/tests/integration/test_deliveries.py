"""Webhook deliveries: retried with backoff until a receiver that was down comes back (each
event received once), dead-lettered for operators when it never does, re-driven from the
list; and a worker killed with deliveries pending loses none and sends none twice."""

from __future__ import annotations

import collections
import json
import time

import pytest
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze_devtools.testing.infra import free_port

from .support import KunshanMatter, eventually, integrator, publish_now

pytestmark = pytest.mark.integration

REALM = "wenze-kunshan"


def subscribe(client_for, api, name: str, url: str) -> dict:
    created = integrator(client_for, api, name).post(
        "/v1/subscriptions", json={"url": url, "notices": ["result_feedback"], "parties": ["source:city_government"]}
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_a_receiver_down_for_a_while_gets_each_event_once_and_one_never_back_is_dead_lettered(
    notification, receiver, notification_nats, client_for, token
) -> None:
    hooks, url = receiver
    api = notification["api"]
    hooks.down.add("flaky")
    flaky = subscribe(client_for, api, "flaky-oa", f"{url}/hook/flaky")
    gone = subscribe(client_for, api, "gone-oa", f"http://127.0.0.1:{free_port()}/hook/gone")
    matters = [KunshanMatter() for _ in range(3)]
    publish_now(notification_nats.url, *(event for matter in matters for event in matter.story()))

    # Down: every delivery is refused at least twice, and retried.
    eventually(lambda: hooks.refused.get("flaky", 0) >= 2 * len(matters), timeout=120)
    assert hooks.keys("flaky") == []
    hooks.down.discard("flaky")
    eventually(lambda: len(hooks.keys("flaky")) == len(matters))
    time.sleep(3)  # longer than a lease and a backoff: a duplicate would have come by now
    keys = hooks.keys("flaky")
    assert len(keys) == len(set(keys)) == len(matters)
    log = integrator(client_for, api, "flaky-oa").get(f"/v1/subscriptions/{flaky['id']}/deliveries").json()
    assert sorted(d["id"] for d in log) == sorted(keys)
    assert all(d["state"] == "delivered" and d["attempts"] >= 3 for d in log)

    # Never back: after five attempts, in the operators' dead-letter list.
    operator = client_for(api, REALM, "ks-intake")

    def dead() -> list[dict]:
        listed = operator.get("/v1/deliveries", params={"state": "dead"}).json()
        return [d for d in listed if d["subscription_id"] == gone["id"]]

    dead_letters = eventually(lambda: len(dead()) == len(matters) and dead(), timeout=60)
    assert all(d["attempts"] == 5 and d["last_error"].startswith("webhook: ConnectError") for d in dead_letters), (
        dead_letters
    )
    attempts = operator.get(f"/v1/deliveries/{dead_letters[0]['id']}/attempts").json()
    assert [a["succeeded"] for a in attempts["attempts"]] == [False] * 5
    # The same list from the command line.
    listed = CliRunner().invoke(
        app,
        ["deliveries", "list", "--state", "dead", "--url", api.url, "--json"],
        env={"WENZE_TOKEN": token(REALM, "ks-intake")},
    )
    assert listed.exit_code == 0, listed.output
    assert {d["id"] for d in dead_letters} <= {d["id"] for d in json.loads(listed.stdout)}
    # Not an operator: no list.
    officer = client_for(api, REALM, "ks-supervision-1")
    assert officer.get("/v1/deliveries", params={"state": "dead"}).status_code == 403

    # Re-driven: pending again with a fresh round, then dead again as the receiver is still gone.
    again = operator.post(f"/v1/deliveries/{dead_letters[0]['id']}/redrive")
    assert again.status_code == 200 and again.json()["state"] == "pending" and again.json()["attempts"] == 0
    assert again.json()["redriven_by"] == "ks-intake"
    refused = operator.post(f"/v1/deliveries/{log[0]['id']}/redrive")
    assert refused.status_code == 409 and refused.json()["state"] == "delivered"
    eventually(lambda: any(d["id"] == dead_letters[0]["id"] for d in dead()), timeout=60)


def test_killing_the_worker_with_deliveries_pending_delivers_each_once(
    notification, receiver, smtp_server, notification_nats, client_for
) -> None:
    hooks, url = receiver
    _, mailbox = smtp_server
    api = notification["api"]
    operator = client_for(api, REALM, "ks-intake")
    operator.post(
        "/v1/contacts", json={"party": "source:city_government", "name": "市政府督查室", "email": "kill@ksgov.example"}
    )
    # A worker that keeps retrying for longer than this test takes, so nothing is dead-lettered.
    worker = notification["worker"].restart(delivery_max_attempts="1000")
    hooks.down.add("crash")
    subscribe(client_for, api, "crash-oa", f"{url}/hook/crash")
    matters = [KunshanMatter() for _ in range(5)]
    publish_now(notification_nats.url, *(event for matter in matters for event in matter.story()))
    eventually(lambda: hooks.refused.get("crash", 0) >= 2 * len(matters), timeout=120)

    worker.kill()  # kill -9, deliveries pending
    hooks.down.discard("crash")
    worker.restart()

    eventually(lambda: len(hooks.keys("crash")) >= len(matters), timeout=240)
    numbers = {m.number for m in matters}
    eventually(
        lambda: {n for n in numbers if any(n in m["Subject"] for m in mailbox.to("kill@ksgov.example"))} == numbers,
        timeout=240,
    )
    time.sleep(4)  # longer than a lease: a delivery claimed by the killed worker would be sent again by now
    keys = hooks.keys("crash")
    assert len(keys) == len(set(keys)) == len(matters)
    mails = collections.Counter(m["Wenze-Delivery-Id"] for m in mailbox.to("kill@ksgov.example"))
    assert len(mails) == len(matters) and set(mails.values()) == {1}
