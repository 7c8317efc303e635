"""The four forms of the Kunshan attachments (分办单, 会商表, 会审表, 组织处理建议函), issued for a
matter, numbered by the pack's patterns and rendered as DOCX and PDF; their text fields are
the matter's. The files are left under test-output/notification/ for a reader to open."""

from __future__ import annotations

import io
import re

import docx
import pypdfium2
import pytest

from .conftest import TEST_OUTPUT
from .support import PERSON, KunshanMatter, eventually, publish_now

pytestmark = pytest.mark.integration

REALM = "wenze-kunshan"
KINDS = ["routing_slip", "consultation", "joint_review", "organisational_measure_letter"]
PATTERNS = {
    # Routing's and review's numbers, as their events carried them.
    "routing_slip": r"^昆纪委问分〔2026〕31号$",
    "consultation": r"^昆纪委问商〔2026〕17号$",
    "joint_review": r"^昆纪委问审〔2026〕23号$",
    "organisational_measure_letter": r"^昆纪委办函〔20\d\d〕\d+号$",
}


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    return "".join(page.get_textpage().get_text_range() for page in document)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_four_forms_carry_the_matter_and_the_pack_numbers(notification, notification_nats, client_for) -> None:
    matter = KunshanMatter()
    publish_now(notification_nats.url, *matter.story())
    officer = client_for(notification["api"], REALM, "ks-supervision-1")
    matter_id = str(matter.matter_id)
    # The forms are filled from what the worker learnt of the routing and the decision: wait for both.
    department = client_for(
        notification["api"], REALM, None, roles=["matter:read"], claims={"office": "city_organisation_department"}
    )
    eventually(lambda: officer.get("/v1/notices", params={"matter_id": matter_id, "notice": "matter_assigned"}).json())
    eventually(lambda: department.get("/v1/notices", params={"matter_id": matter_id}).json())

    # Until review announces its numbers, the 会商表 and 会审表 are not issued: no second number.
    for kind, what in (("consultation", "consultation (会商)"), ("joint_review", "joint review (会审)")):
        early = officer.post(f"/v1/matters/{matter_id}/documents", json={"kind": kind})
        assert early.status_code == 409, early.text
        assert "review's number" in early.json()["detail"] and what in early.json()["detail"]
    publish_now(notification_nats.url, matter.consultation_concluded(), matter.joint_review_concluded())
    for kind in ("consultation", "joint_review"):
        eventually(
            lambda kind=kind: officer.post(f"/v1/matters/{matter_id}/documents", json={"kind": kind}).status_code == 201
        )

    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    issued = {}
    for kind in KINDS:
        answer = officer.post(f"/v1/matters/{matter_id}/documents", json={"kind": kind})
        assert answer.status_code == 201, answer.text
        issued[kind] = answer.json()
        assert re.match(PATTERNS[kind], issued[kind]["number"]), issued[kind]["number"]
        # Issued once: asking again gives the same number.
        assert (
            officer.post(f"/v1/matters/{matter_id}/documents", json={"kind": kind}).json()["number"]
            == issued[kind]["number"]
        )

    expected_everywhere = [matter.summary, "市政府及有关职能部门移送"]
    for kind in KINDS:
        for fmt, extract in (("pdf", pdf_text), ("docx", docx_text)):
            answer = officer.get(f"/v1/matters/{matter_id}/documents/{kind}.{fmt}")
            assert answer.status_code == 200, answer.text
            (TEST_OUTPUT / f"{kind}.{fmt}").write_bytes(answer.content)
            text = compact(extract(answer.content))
            assert compact(issued[kind]["number"]) in text, (kind, fmt)
            wanted: list[str | None] = (
                [*expected_everywhere] if kind != "organisational_measure_letter" else [matter.summary]
            )
            if kind in ("routing_slip", "consultation"):
                wanted += [matter.facts, "执纪监督室"]
            if kind == "joint_review":
                wanted += [PERSON.name, PERSON.post, "免职", "昆纪办发〔2019〕19号附件6第二条"]
            if kind == "organisational_measure_letter":
                wanted += [PERSON.name, PERSON.unit, PERSON.post, "免职", "中共昆山市委组织部", "2026年9月30日"]
            for field in wanted:
                assert field and compact(field) in text, (kind, fmt, field)

    # Another tenant, and an office not party to the matter, find no such matter.
    jintan = client_for(notification["api"], "wenze-jintan", "jt-conduct-office")
    assert jintan.get(f"/v1/matters/{matter_id}/documents").status_code == 404
    bacheng = client_for(notification["api"], REALM, "ks-town-bacheng")
    assert bacheng.post(f"/v1/matters/{matter_id}/documents", json={"kind": "consultation"}).status_code == 404
    unknown = officer.post(f"/v1/matters/{matter_id}/documents", json={"kind": "decision_form"})
    assert unknown.status_code == 404 and "routing_slip" in unknown.json()["detail"]
