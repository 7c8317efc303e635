"""Without I/O: who the packs say is told what, how recipients resolve, how webhooks are
signed, how long a failed delivery waits."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid

import pytest

from wenze.rules import get_pack, lint_pack
from wenze_notification.deliveries.models import Delivery
from wenze_notification.deliveries.senders import sign, webhook_body
from wenze_notification.deliveries.service import backoff
from wenze_notification.documents.forms import forms_of
from wenze_notification.matters.models import KnownMatter
from wenze_notification.notices.models import Notice, RecipientKind
from wenze_notification.notices.recipients import resolve
from wenze_notification.notices.templates import render_notice

ON = dt.date(2026, 9, 30)


@pytest.mark.parametrize("tenant", ["kunshan", "jintan", "zhenxiong", "hubei"])
def test_every_pack_names_its_notices_with_articles_and_templates(tenant: str) -> None:
    assert lint_pack(tenant) == []
    pack = get_pack(tenant)
    specs = [spec for event in ("decision_made", "deadline_due") for spec in pack.notices_on(event, ON)]
    assert specs, tenant
    for spec in specs:
        assert pack.article(spec.citation.text) == spec.citation
        assert pack.notice_template(spec.notice).is_file()


def test_kunshan_tells_the_originating_unit_and_the_organisation_department_of_a_decision() -> None:
    pack = get_pack("kunshan")
    told = {(s.notice, s.to, s.citation.text) for s in pack.notices_on("decision_made", ON)}
    assert told == {
        ("result_feedback", ("originating_unit",), "昆纪办发〔2019〕19号 二.3"),
        ("result_to_organisation_department", ("city_organisation_department",), "昆纪办发〔2019〕19号 二.3"),
    }
    # The recommendation letter goes out for organisational measures only.
    assert [s.notice for s in pack.notices_on("execution_opened", ON, measures=["removal_from_post"])] == [
        "organisational_measure_recommendation"
    ]
    assert pack.notices_on("execution_opened", ON, measures=["form_1"]) == []
    # Before the document took effect, nobody was told anything by it.
    assert pack.notices_on("decision_made", dt.date(2019, 1, 1)) == []


def test_recipients_resolve_from_the_matter_and_the_event() -> None:
    pack = get_pack("kunshan")
    matter = KnownMatter(
        matter_id=str(uuid.uuid4()),
        tenant="kunshan",
        number="KS-2026-00001",
        source="inspection",
        source_reference="巡察移交〔2026〕3号",
        summary="",
        targets=[{"kind": "person", "name": "李明"}],
        handler="review_investigation_office",
        cc=["case_management_office", "party_conduct_office"],
        routing_citations=[],
    )
    roles = ["originating_unit", "handling_office", "copied_offices", "person_concerned", "event_office"]
    parties = resolve(pack, [*roles, "party_conduct_office"], matter, {"office": "discipline_supervision_office"})
    assert [(p.kind, p.code) for p in parties] == [
        (RecipientKind.PARTY, "source:inspection"),
        (RecipientKind.OFFICE, "review_investigation_office"),
        (RecipientKind.OFFICE, "case_management_office"),
        (RecipientKind.OFFICE, "party_conduct_office"),
        (RecipientKind.PARTY, "person:李明"),
        (RecipientKind.OFFICE, "discipline_supervision_office"),
    ]
    assert parties[0].label == "市委巡察机构等移送（巡察移交〔2026〕3号）"
    # A matter notification never heard of names no originating unit, handler or copies.
    assert resolve(pack, roles[:3], None, {}) == []


def test_a_template_renders_subject_and_body_in_chinese() -> None:
    pack = get_pack("kunshan")
    subject, body = render_notice(
        pack.notice_template("deadline_missed"),
        {
            "recipient": "党风政风监督室",
            "matter": {"number": "KS-2026-00009"},
            "event": {"label": "抄送问责决定", "due_on": "2026-10-10", "citations": ["昆纪办发〔2019〕19号 二.3"]},
            "citation": "昆纪办发〔2019〕19号 附件6 第七条",
        },
    )
    assert subject == "办理期限已过：抄送问责决定（2026-10-10）"
    assert body.startswith("党风政风监督室：") and "KS-2026-00009" in body and "附件6 第七条" in body


def test_a_webhook_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"notice":"result_feedback"}'
    expected = hmac.new(b"k3y", b"1790000000." + body, hashlib.sha256).hexdigest()
    assert sign("k3y", "1790000000", body) == f"v1={expected}"
    assert sign("k3y", "1790000001", body) != sign("k3y", "1790000000", body)
    assert sign("other", "1790000000", body) != sign("k3y", "1790000000", body)


def test_a_webhook_body_carries_its_delivery_id_and_the_notice() -> None:
    notice = Notice(
        id=str(uuid.uuid4()),
        tenant="kunshan",
        matter_id=str(uuid.uuid4()),
        matter_number="KS-2026-00001",
        event_id=str(uuid.uuid4()),
        event_type="decision_made",
        notice="result_feedback",
        recipient_kind="party",
        recipient="source:inspection",
        recipient_label="市委巡察机构等移送",
        subject="问责结果反馈",
        body="正文",
        citations=["昆纪办发〔2019〕19号 二.3"],
        created_at=dt.datetime(2026, 9, 30, tzinfo=dt.UTC),
    )
    delivery = Delivery(id=str(uuid.uuid4()), notice_id=notice.id)
    payload = json.loads(webhook_body(delivery, notice))
    assert payload["delivery_id"] == delivery.id and payload["subject"] == "问责结果反馈"
    assert "问责结果反馈".encode() in webhook_body(delivery, notice)


@pytest.mark.parametrize(("attempts", "wait"), [(1, 30.0), (2, 60.0), (3, 120.0), (8, 3600.0), (30, 3600.0)])
def test_backoff_doubles_up_to_its_cap(attempts: int, wait: float) -> None:
    assert backoff(attempts, 30.0, 3600.0) == wait


def test_kunshan_forms_cite_their_attachments_and_use_the_pack_numbering() -> None:
    pack = get_pack("kunshan")
    forms = forms_of(pack.directory)
    assert sorted(forms) == ["consultation", "joint_review", "organisational_measure_letter", "routing_slip"]
    for spec in forms.values():
        assert pack.article(spec.cite).text == spec.cite
        assert spec.numbering in pack.number_kinds()
    assert pack.number("organisational_measure_letter", 2026, 3, ON) == "昆纪委办函〔2026〕3号"
