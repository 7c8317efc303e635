"""Kunshan, from intake to the people told: a town cadre's matter is submitted, accepted,
routed, reviewed and decided by the real services; the notification service, on the same
NATS and database, e-mails the result to the unit that raised the matter (a real local SMTP
server) and posts it, signed, to that unit's system; the town commission finds it in its inbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response

from wenze.calendar import DeadlineSpec
from wenze.rules import get_pack
from wenze.rules.deadlines import default_calendar
from wenze_devtools.testing.fixtures import serving
from wenze_devtools.testing.infra import ServiceProcess, free_port, migrate

from .conftest import Tenant, wait_for
from .kunshan import hear_town_case, town_decision, town_matter

# Five services start before the test runs: more than the default timeout on a loaded machine.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

TOWN_CADRE = {
    "kind": "person",
    "name": "沈小林",
    "post": "副镇长",
    "unit": "巴城镇",
    "cadre_level": "not_city_managed",
    "sector": "district_town",
    "party_member": True,
}


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, box
    controller.stop()


@pytest.fixture(scope="module")
def hooks() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    lock = threading.Lock()
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        with lock:
            received.append({"headers": dict(request.headers), "body": body})
        return Response(status_code=204)

    with serving(app) as url:
        yield f"{url}/hook", received


@pytest.fixture(scope="module")
def notification(stack, service_factory, database_url: str, mailbox) -> ServiceProcess:
    migrate(database_url, "notification")
    port, _ = mailbox
    settings = {"smtp_host": "127.0.0.1", "smtp_port": str(port), "delivery_backoff_base_seconds": "0.5"}
    service_factory("notification", "worker", wait=False, **settings)
    return service_factory("notification", **settings)


def decide_town_case(ks: Tenant) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A town cadre's matter raised by the media, taken through intake, routing and review to a
    decision of the town commission today: the matter, its case and the decision."""
    matter, slip = town_matter(ks, TOWN_CADRE)
    case = hear_town_case(ks, slip, "reminder_talk")
    decision = ks.user("ks-town-bacheng").ok(
        "review",
        f"/v1/cases/{case['id']}/decision",
        town_decision(get_pack("kunshan").today(), ["reminder_talk"]),
    )["decision"]
    return matter, case, decision


def test_a_town_cadre_decision_reaches_the_unit_that_raised_it(tenant_for, notification, mailbox, hooks, token) -> None:
    ks = tenant_for("wenze-kunshan")

    def client(username: str | None, **overrides: Any) -> httpx.Client:
        bearer = token("wenze-kunshan", username, **overrides)
        return httpx.Client(base_url=notification.url, timeout=30, headers={"Authorization": f"Bearer {bearer}"})

    admin = client("ks-intake")
    added = admin.post(
        "/v1/contacts",
        json={"party": "source:grassroots_or_media", "name": "媒体监督联络员", "email": "lianluo@ks.example"},
    )
    assert added.status_code == 201, added.text
    hook_url, received = hooks
    system = client(
        None, roles=["matter:submit"], claims={"preferred_username": "service-account-ks-media", "office": None}
    )
    subscription = system.post(
        "/v1/subscriptions",
        json={"url": hook_url, "notices": ["result_feedback"], "parties": ["source:grassroots_or_media"]},
    )
    assert subscription.status_code == 201, subscription.text
    secret = subscription.json()["secret"]

    matter, _, decision = decide_town_case(ks)

    _, box = mailbox
    (message,) = wait_for(
        lambda: [m for m in box.messages if matter["number"] in str(m["Subject"])], "the feedback e-mail"
    )
    assert message["Subject"] == f"问责结果反馈：{matter['number']}"
    assert decision["number"] in message.get_content() and "沈小林" in message.get_content()

    (request,) = wait_for(lambda: [r for r in received if matter["number"].encode() in r["body"]], "the webhook")
    headers, body = request["headers"], request["body"]
    signed = hmac.new(secret.encode(), headers["wenze-timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["wenze-signature"] == f"v1={signed}"
    assert json.loads(body)["delivery_id"] == headers["idempotency-key"]

    # The handler (the town commission) and the copied supervision office were told of the routing.
    inbox = client("ks-town-bacheng").get("/v1/notices", params={"matter_id": matter["id"], "box": "office"}).json()
    assert [n["notice"] for n in inbox] == ["matter_assigned"]
    assert inbox[0]["citations"] == ["昆纪办发〔2019〕19号 三.2"]


def test_the_decision_copy_deadline_reminds_the_deciding_office_in_its_inbox_and_by_e_mail(
    tenant_for, notification, mailbox, token, service_factory
) -> None:
    """Decision (review) → execution and its deadline (sanction-execution) → ``deadline.due`` on
    the reminder day → the office's inbox notice and e-mail (notification), no event made by
    hand. The stack's scheduler runs on today's date, two working days too early for the
    reminder; a second worker rehearses the reminder day (``SCHEDULER_DATE``), as a staging
    system would, and is stopped once it has fired."""
    ks = tenant_for("wenze-kunshan")

    def client(username: str | None, **overrides: Any) -> httpx.Client:
        bearer = token("wenze-kunshan", username, **overrides)
        return httpx.Client(base_url=notification.url, timeout=30, headers={"Authorization": f"Bearer {bearer}"})

    town_address = "bangongshi@bacheng.example"
    added = client("ks-intake").post(
        "/v1/contacts", json={"party": "district_town_commission", "name": "巴城镇纪委办公室", "email": town_address}
    )
    assert added.status_code == 201, added.text

    matter, _, decision = decide_town_case(ks)
    (execution,) = ks.executions(decision["id"], "ks-town-bacheng")
    (deadline,) = [d for d in execution["deadlines"] if d["duty"] == "copy_decision"]
    # 二.3: three working days from the decision, on the official calendar.
    decided_on = dt.date.fromisoformat(decision["decided_on"])
    three_working_days = DeadlineSpec(kind="working_days", amount=3).compute(decided_on, default_calendar())
    assert deadline["due_on"] == three_working_days.isoformat()
    assert deadline["office"] == "district_town_commission"
    assert deadline["citations"] == ["昆纪办发〔2019〕19号 二.3"]
    assert deadline["state"] == "pending" and deadline["remind_on"] > get_pack("kunshan").today().isoformat()

    town = client("ks-town-bacheng")

    def reminders() -> list[dict[str, Any]]:
        notices = town.get("/v1/notices", params={"matter_id": matter["id"], "notice": "deadline_reminder"})
        assert notices.status_code == 200, notices.text
        return notices.json()

    assert reminders() == []

    rehearsal = service_factory(
        "sanction-execution", "worker", wait=False, scheduler_date=deadline["remind_on"], scheduler_interval_seconds="1"
    )
    try:
        (notice,) = wait_for(reminders, "the reminder in the town commission's inbox")
        _, box = mailbox
        (message,) = wait_for(
            # The office was also e-mailed the routing of the matter: the reminder is the one about the deadline.
            lambda: [
                m
                for m in box.messages
                if town_address in str(m["To"])
                and str(m["Subject"]).startswith("办理期限提醒")
                and matter["number"] in m.get_content()
            ],
            "the reminder e-mail",
        )
    finally:
        rehearsal.stop()

    assert notice["citations"] == ["昆纪办发〔2019〕19号 二.3"]
    assert notice["recipient"] == "district_town_commission"
    assert message["Subject"] == f"办理期限提醒：{deadline['label']}（{deadline['due_on']}到期）"
    assert f"将于 {deadline['due_on']} 到期" in message.get_content()
    (reminded,) = ks.user("ks-town-bacheng").get("sanction-execution", "/v1/executions", decision_id=decision["id"])
    assert [d["state"] for d in reminded["deadlines"] if d["id"] == deadline["id"]] == ["reminded"]
    # Fired once, though two schedulers ran it every second.
    assert len(reminders()) == 1
