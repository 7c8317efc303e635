"""The steps of Kunshan's decision path (昆纪办发〔2019〕19号) that several end-to-end tests take
alike: the consultation agreed, a city-managed cadre's case reviewed to its decision, a town
cadre's matter routed to the town commission, investigated and heard, and a clue naming no one
routed for investigation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wenze.rules import get_pack

from .conftest import Tenant

PARTICIPANTS = {
    "party_conduct_office": "ks-intake",
    "case_management_office": "ks-case-management",
    "case_trial_office": "ks-trial",
    "discipline_supervision_office": "ks-supervision-1",
    "review_investigation_office": "ks-investigation-1",
}
APPROVERS = {
    "commission_leaders": "ks-leader",
    "principal_leader": "ks-principal",
    "leader_in_charge": "ks-leader-in-charge",
    "city_party_secretary": "ks-city-party-secretary",
    "city_organisation_department": "ks-organisation-department",
    "standing_committee_meeting": "ks-standing-committee",
    "secretary_special_meeting": "ks-secretary-meeting",
}


def person(name: str, cadre_level: str, sector: str, unit: str) -> dict:
    return {
        "kind": "person",
        "name": name,
        "post": "副局长",
        "unit": unit,
        "cadre_level": cadre_level,
        "sector": sector,
        "party_member": True,
    }


# Of a department the first discipline-supervision office (ks-supervision-1) is linked to: it
# acts on the matter without being handed its tasks.
CITY_CADRE = person("钱国强", "city_managed", "city_department", "市发展和改革委员会")
TOWN_CADRE = person("沈小林", "not_city_managed", "district_town", "巴城镇")


def clue_naming_no_one(ks: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    """A clue from an inspection that names no one, only the sector, submitted and accepted, and
    the slip routing it for investigation (附件5 第三条): the matter and its slip."""
    matter = ks.submit_and_accept(
        "ks-supervision-1",
        "ks-intake",
        source="inspection",
        targets=[{"kind": "unknown", "sector": "district_town"}],
        proposed_form="form_2",
    )
    return matter, ks.routed_slip(matter["id"], "ks-intake")


def approve_all(ks, path: str, offices: list[str]) -> None:
    for office in offices:
        ks.user(APPROVERS[office]).ok("review", path, {})


def review_to_decision(ks, made, matter_id: str, slip: dict) -> dict:
    """From a slip routed to the discipline-supervision office to the written decision."""
    case = ks.case(slip["id"], "ks-supervision-1")
    handler = ks.user("ks-supervision-1")
    handler.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "对分管领域安全生产监管失职，不适宜担任现职。", "evidence": ["调查报告"]},
    )
    recommendation = {
        "target_index": 0,
        "statement": "失职失责",
        "legal_basis": "昆纪办发〔2019〕19号 附件6",
        "severity": "heavier",
        "circumstances": ["dereliction_of_duty", "unfit_for_current_post"],
    }
    lighter = handler.post(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        {**recommendation, "severity": "lighter", "proposed_measures": ["removal_from_post"]},
    )
    assert lighter.status_code == 422, lighter.text
    handler.ok(
        "review", f"/v1/cases/{case['id']}/recommendations", {**recommendation, "proposed_measures": ["reassignment"]}
    )

    # 会审: the five offices sign, the two leaders approve (附件4).
    case = ks.read_case(case["id"], "ks-supervision-1")
    assert case["state"] == "joint_review", case["state"]
    joint = ks.user("ks-intake").get("review", f"/v1/joint-reviews/{case['joint_review_id']}")
    assert joint["number"].startswith("昆纪委问审〔")
    for office in joint["participants"]:
        ks.user(PARTICIPANTS[office]).ok("review", f"/v1/joint-reviews/{joint['id']}/signatures", {"opinion": "agree"})
    approve_all(ks, f"/v1/joint-reviews/{joint['id']}/approvals", joint["approved_by"])

    # A decision is dated the day it is made, in the tenant's time zone.
    today = get_pack("kunshan").today()
    decide = {
        "decided_on": today.isoformat(),
        "announced_on": (today + dt.timedelta(days=1)).isoformat(),
        "simplified": False,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": ["reassignment"]}],
    }
    unheard = handler.post("review", f"/v1/cases/{case['id']}/decision", decide)
    assert unheard.status_code == 409 and unheard.json()["step"] == "hearing", unheard.text
    assert unheard.json()["citations"], "the hearing's article is cited"
    assert ks.read_case(case["id"], "ks-supervision-1")["decision"] is None
    handler.ok(
        "review",
        f"/v1/cases/{case['id']}/hearings",
        {
            "target_index": 0,
            "held_on": "2026-12-01",
            "arguments": [{"argument": "系前任遗留问题", "accepted": False, "reason": "到任后未履行整改职责"}],
        },
    )
    unapproved = handler.post("review", f"/v1/cases/{case['id']}/decision", decide)
    assert unapproved.status_code == 409 and unapproved.json()["step"] == "approval", unapproved.text
    # 附件6 第四条: the leaders, then the organisation department's agreement, then the city party secretary.
    assert unapproved.json()["offices"] == [
        "principal_leader",
        "leader_in_charge",
        "city_organisation_department",
        "city_party_secretary",
    ]
    for office in unapproved.json()["offices"]:
        ks.user(APPROVERS[office]).ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "decision"})
    decision = handler.ok("review", f"/v1/cases/{case['id']}/decision", decide)["decision"]
    assert decision["decided_by"] == "discipline_supervision_office"
    event, _ = made.next(lambda e: e["matter_id"] == matter_id)
    assert event["number"] == decision["number"] and event["measures"][0]["measures"] == ["reassignment"]
    return decision


def consultation_path(ks: Tenant, matter_id: str) -> str:
    """The consultation (会商) of the matter's slip, found through the intake office's signing task."""
    task = ks.user("ks-intake").task_of_matter("consultation_signature", matter_id)
    return f"/v1/consultations/{task['subject_id']}"


def agree_consultation(ks: Tenant, path: str) -> None:
    """Every participant office agrees, then the consultation's approvers approve (附件2)."""
    for username in PARTICIPANTS.values():
        ks.user(username).ok("review", f"{path}/signatures", {"opinion": "agree"})
    approve_all(ks, f"{path}/approvals", ks.user("ks-intake").get("review", path)["approved_by"])


def town_matter(ks: Tenant, target: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A town cadre's matter raised by the media, accepted and routed without a consultation to
    the town commission (三.2): the matter and its slip."""
    matter = ks.submit_and_accept(
        "ks-town-bacheng", "ks-intake", source="grassroots_or_media", targets=[target], proposed_form="form_1"
    )
    return matter, ks.routed_slip(matter["id"], "ks-intake")


def hear_town_case(ks: Tenant, slip: dict[str, Any], measure: str, held_on: str = "2026-12-01") -> dict[str, Any]:
    """The town commission's case of the slip investigated, ``measure`` recommended for poor work
    style and the target heard: the case, ready for its decision."""
    case = ks.case(slip["id"], "ks-town-bacheng")
    town = ks.user("ks-town-bacheng")
    town.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "工作作风漂浮。", "evidence": ["谈话笔录"]},
    )
    town.ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        {
            "target_index": 0,
            "statement": "作风漂浮",
            "legal_basis": "昆纪办发〔2019〕19号 三.2",
            "severity": "lighter",
            "circumstances": ["dereliction_of_duty"],
            "proposed_measures": [measure],
        },
    )
    town.ok("review", f"/v1/cases/{case['id']}/hearings", {"target_index": 0, "held_on": held_on, "arguments": []})
    return case


def town_decision(decided_on: dt.date, measures: list[str]) -> dict[str, Any]:
    """A town commission's decision as sent to review: in the ordinary procedure, facts clear."""
    return {
        "decided_on": decided_on.isoformat(),
        "simplified": False,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": measures}],
    }
