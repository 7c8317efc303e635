"""A Kunshan decision tells the unit that raised the matter (e-mail on a real SMTP server, a
signed webhook) and the organisation department; a deadline reminder reaches the handling
office's inbox and its staff's e-mail; inboxes are each caller's own."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest

from wenze.events import AppealFiled, TargetSnapshot

from .support import KunshanMatter, eventually, integrator, publish_now, publish_with_id, verify_signature

pytestmark = pytest.mark.integration

REALM = "wenze-kunshan"


@pytest.fixture(scope="module")
def directory(notification, client_for, receiver):
    """The unit behind the city government's transfers, the organisation department and one
    supervision officer have addresses; the unit's system subscribes to result feedback."""
    admin = client_for(notification["api"], REALM, "ks-intake")
    for party, name, address, username in [
        ("source:city_government", "市政府督查室", "duchashi@ksgov.example", None),
        ("city_organisation_department", "市委组织部干部科", "ganbuke@kszzb.example", None),
        ("discipline_supervision_office", "第一执纪监督室 王敏", "wangmin@ksjw.example", "ks-supervision-1"),
    ]:
        answer = admin.post("/v1/contacts", json={"party": party, "name": name, "email": address, "username": username})
        assert answer.status_code == 201, answer.text
    _, url = receiver
    unit_system = integrator(client_for, notification["api"], "ksgov-oa")
    created = unit_system.post(
        "/v1/subscriptions",
        json={"url": f"{url}/hook/ksgov", "notices": ["result_feedback"], "parties": ["source:city_government"]},
    )
    assert created.status_code == 201, created.text
    listed = unit_system.get("/v1/subscriptions").json()
    assert [s["id"] for s in listed] == [created.json()["id"]] and "secret" not in listed[0]
    return created.json()


def test_a_decision_heard_before_the_matters_receipt_still_reaches_the_unit_that_raised_it(
    notification, directory, smtp_server, notification_nats
) -> None:
    """After an outage the streams are caught up side by side, so a decision can come first:
    its feedback waits for the receipt instead of leaving the originating unit out."""
    matter = KunshanMatter()
    publish_now(notification_nats.url, matter.decided())
    time.sleep(3)  # the decision is handled, and handed back, before the receipt is published
    publish_now(notification_nats.url, matter.received(), matter.accepted(), matter.routed())
    _, mailbox = smtp_server
    feedback = eventually(
        lambda: [m for m in mailbox.to("duchashi@ksgov.example") if m["Subject"] == f"问责结果反馈：{matter.number}"],
        timeout=90,
    )
    organisation = eventually(lambda: [m for m in mailbox.to("ganbuke@kszzb.example") if matter.number in m["Subject"]])
    time.sleep(2)  # a second copy of either would have come by now
    assert len(feedback) == 1 and len(organisation) == 1


def test_the_originating_unit_gets_the_result_by_email_and_signed_webhook(
    notification, directory, smtp_server, receiver, notification_nats, client_for
) -> None:
    matter = KunshanMatter()
    publish_now(notification_nats.url, *matter.story())
    _, mailbox = smtp_server

    feedback = eventually(lambda: [m for m in mailbox.to("duchashi@ksgov.example") if matter.number in m["Subject"]])
    (message,) = feedback
    assert message["Subject"] == f"问责结果反馈：{matter.number}"
    body = message.get_content()
    assert (
        "周建华" in body and "免职" in body and matter.decision_number in body and "昆纪办发〔2019〕19号 二.3" in body
    )
    raw = next(r for r in mailbox.raw if matter.number.encode() in r or b"duchashi" in r)
    # The Chinese subject travels as an RFC 2047 encoded word, the body in a declared UTF-8.
    headers, _, _ = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    assert b"=?utf-8?" in headers.lower() and b'charset="utf-8"' in headers.lower()
    assert message["Message-ID"].startswith("<") and message["Wenze-Delivery-Id"] in message["Message-ID"]

    organisation = eventually(lambda: mailbox.to("ganbuke@kszzb.example"))
    assert any(matter.number in m["Subject"] and m["Subject"].startswith("问责情况通报") for m in organisation)

    hooks, _ = receiver
    delivered = eventually(
        lambda: [r for r in hooks.accepted if r["name"] == "ksgov" and matter.number.encode() in r["body"]]
    )
    (request,) = delivered
    assert verify_signature(directory["secret"], request["headers"], request["body"])
    assert not verify_signature("another-secret", request["headers"], request["body"])
    payload = json.loads(request["body"])
    assert payload["notice"] == "result_feedback" and payload["recipient"] == "source:city_government"
    assert request["headers"]["idempotency-key"] == payload["delivery_id"]
    assert payload["citations"] == ["昆纪办发〔2019〕19号 二.3"]

    # The integrator's delivery log shows it delivered, once.
    unit_system = integrator(client_for, notification["api"], "ksgov-oa")
    log = unit_system.get(f"/v1/subscriptions/{directory['id']}/deliveries").json()
    mine = [d for d in log if d["id"] == payload["delivery_id"]]
    assert [(d["state"], d["attempts"]) for d in mine] == [("delivered", 1)]
    # Another integrator does not see that subscription's log.
    other = integrator(client_for, notification["api"], "someone-else")
    assert other.get(f"/v1/subscriptions/{directory['id']}/deliveries").status_code == 404


def test_a_deadline_reminder_reaches_the_handling_office_and_its_staff(
    notification, directory, smtp_server, notification_nats, client_for
) -> None:
    matter = KunshanMatter()
    publish_now(notification_nats.url, matter.routed(), matter.deadline_due())
    _, mailbox = smtp_server
    officer = client_for(notification["api"], REALM, "ks-supervision-1")
    colleague = client_for(notification["api"], REALM, "ks-supervision-2")

    def office_box():
        return [
            n
            for n in officer.get("/v1/notices", params={"box": "office", "matter_id": str(matter.matter_id)}).json()
            if n["notice"] == "deadline_reminder"
        ]

    (office_notice,) = eventually(office_box)
    assert office_notice["subject"] == "办理期限提醒：将问责决定等材料抄送党风政风监督室（2026-10-10到期）"
    assert office_notice["recipient"] == "discipline_supervision_office" and office_notice["state"] == "unread"
    assert office_notice["citations"] == ["昆纪办发〔2019〕19号 二.3"]
    # The whole office sees it; the personal copy is the named officer's alone.
    assert [
        n["id"]
        for n in colleague.get(
            "/v1/notices", params={"box": "office", "matter_id": str(matter.matter_id), "notice": "deadline_reminder"}
        ).json()
    ] == [office_notice["id"]]
    (personal,) = officer.get(
        "/v1/notices", params={"box": "personal", "matter_id": str(matter.matter_id), "notice": "deadline_reminder"}
    ).json()
    assert personal["recipient"] == "ks-supervision-1"
    assert colleague.get(f"/v1/notices/{personal['id']}").status_code == 404
    reminder = eventually(lambda: [m for m in mailbox.to("wangmin@ksjw.example") if "2026-10-10" in m["Subject"]])
    assert matter.number in reminder[0].get_content()

    # Read and unread, and the filters that follow them.
    assert officer.post(f"/v1/notices/{office_notice['id']}/read").json()["read_by"] == "ks-supervision-1"
    unread = officer.get("/v1/notices", params={"box": "office", "state": "unread", "matter_id": str(matter.matter_id)})
    assert office_notice["id"] not in [n["id"] for n in unread.json()]
    again = officer.post(f"/v1/notices/{office_notice['id']}/read")
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert officer.post(f"/v1/notices/{office_notice['id']}/unread").json()["state"] == "unread"

    # Another office, and another tenant, find nothing under that id.
    trial = client_for(notification["api"], REALM, "ks-trial")
    assert trial.get(f"/v1/notices/{office_notice['id']}").status_code == 404
    jintan = client_for(notification["api"], "wenze-jintan", None)
    assert jintan.get(f"/v1/notices/{office_notice['id']}").status_code == 404
    assert trial.get("/v1/notices/not-a-uuid").json()["type"].endswith("notice-not-found")


def test_an_event_delivered_twice_makes_its_notices_once(
    notification, directory, smtp_server, notification_nats, client_for
) -> None:
    matter = KunshanMatter()
    due = matter.deadline_due()
    publish_now(notification_nats.url, matter.routed(), due)
    officer = client_for(notification["api"], REALM, "ks-supervision-1")
    eventually(lambda: officer.get("/v1/notices", params={"box": "office", "matter_id": str(matter.matter_id)}).json())
    # The same event again, under another message id: JetStream takes it, the inbox does not.
    publish_with_id(notification_nats.url, due, f"again-{due.event_id}")
    time.sleep(2)
    notices = officer.get(
        "/v1/notices", params={"box": "all", "matter_id": str(matter.matter_id), "notice": "deadline_reminder"}
    ).json()
    assert sorted(n["recipient_kind"] for n in notices) == ["office", "user"]


def test_sanction_execution_events_tell_whom_the_pack_names(
    notification, directory, notification_nats, client_for
) -> None:
    """An organisational measure under execution reaches the organisation department; a
    measure of another kind does not; a Hubei appeal reaches the appeal organ, saying that
    execution goes on."""
    matter = KunshanMatter()
    opened = matter.execution_opened()
    other = KunshanMatter(measures=["form_1"])
    publish_now(notification_nats.url, *matter.story(), opened, *other.story(), other.execution_opened())
    department = client_for(
        notification["api"], REALM, None, roles=["matter:read"], claims={"office": "city_organisation_department"}
    )

    def recommendations(for_matter: KunshanMatter) -> list[dict]:
        return department.get(
            "/v1/notices",
            params={"matter_id": str(for_matter.matter_id), "notice": "organisational_measure_recommendation"},
        ).json()

    (letter,) = eventually(lambda: recommendations(matter))
    assert "免职" in letter["body"] and letter["citations"] == ["昆纪办发〔2019〕19号 附件6 第四条（四）"]
    eventually(lambda: department.get("/v1/notices", params={"matter_id": str(other.matter_id)}).json())
    assert recommendations(other) == []

    hubei = AppealFiled(
        tenant="hubei",
        matter_id=uuid.uuid4(),
        appeal_id=uuid.uuid4(),
        decision_id=uuid.uuid4(),
        matter_number="HB-2026-00001",
        target=TargetSnapshot(kind="person", name="陈立", post="局长"),
        filed_on=dt.date(2026, 10, 9),
        heard_by="appeal_organ",
        suspends_execution=False,
        citations=["湖北省党风廉政建设主体责任和监督责任追究暂行办法 第二十条"],
    )
    publish_now(notification_nats.url, hubei)
    organ = client_for(
        notification["api"], "wenze-hubei", None, roles=["matter:read"], claims={"office": "appeal_organ"}
    )
    (notice,) = eventually(lambda: organ.get("/v1/notices", params={"matter_id": str(hubei.matter_id)}).json())
    assert notice["subject"] == "申诉受理：HB-2026-00001"
    assert "陈立" in notice["body"] and "不停止处理决定的执行" in notice["body"]


def test_subscribing_and_adding_contacts_are_safe_to_repeat(notification, directory, receiver, client_for) -> None:
    _, url = receiver
    system = integrator(client_for, notification["api"], "retrying-oa")
    body = {"url": f"{url}/hook/retrying", "notices": ["deadline_reminder"]}
    first = system.post("/v1/subscriptions", json=body, headers={"Idempotency-Key": "subscribe-once"})
    again = system.post("/v1/subscriptions", json=body, headers={"Idempotency-Key": "subscribe-once"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotency-Replayed"] == "true"
    assert len(system.get("/v1/subscriptions").json()) == 1

    admin = client_for(notification["api"], REALM, "ks-intake")
    contact = {"party": "case_trial_office", "name": "案件审理室", "email": "shenli@ksjw.example"}
    assert admin.post("/v1/contacts", json=contact).status_code == 201
    twice = admin.post("/v1/contacts", json=contact)
    assert twice.status_code == 409 and twice.json()["type"].endswith("contact-exists")
    bad = admin.post("/v1/contacts", json={**contact, "email": "not an address"})
    assert bad.status_code == 422 and "email" in bad.text
    # Only administrators keep the directory.
    officer = client_for(notification["api"], REALM, "ks-supervision-1")
    assert officer.post("/v1/contacts", json={**contact, "email": "x@ksjw.example"}).status_code == 403
