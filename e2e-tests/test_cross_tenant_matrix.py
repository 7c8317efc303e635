"""Broken object-level authorisation: every route of intake, routing and review whose path names
an object, called for Kunshan's real objects with another tenant's token, and with the token of a
Kunshan office that is party to none of them.

The routes come from each service's ``/openapi.json``, so a route added later is covered
without touching this module: its path parameters must map to a kind of Kunshan object below,
or the route must be listed in ``NOT_OBJECT_ROUTES`` with the reason, or the test fails.

The first caller is a Jintan user holding every capability, so only the tenant check can refuse.
The second is a Kunshan user of the general office (市纪委办公室), linked to no unit and named by no
routing, holding every capability but those that oversee the tenant's matters (``OVERSIGHT``:
``matter:oversee``, ``matter:accept``, ``routing:override``), with authority over every cadre
level: only the office check (``wenze.auth.access``) can refuse.

Refused means 403, 404 or 422; a 2xx is a success (a breach), a 5xx a bug, and anything else
(a 409, say) tells the caller the object exists. No response may carry the Kunshan objects'
content (their other ids, numbers, summary or facts); the id in the request's own path may be
echoed by a 404, which discloses nothing the caller did not send.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from wenze.auth.access import OVERSIGHT
from wenze.auth.capabilities import CAPABILITIES
from wenze.rules import get_pack

from .kunshan import PARTICIPANTS

pytestmark = pytest.mark.integration

FOREIGN_REALM = "wenze-jintan"
FOREIGN_USER = "jt-conduct-office"
UNRELATED_OFFICE = "general_office"
REFUSED = {403, 404, 422}

# Routes whose path parameters name something of the caller's own tenant, not an object that
# could belong to another: the caller reads or writes its own pack's or calendar's entry.
NOT_OBJECT_ROUTES = {
    ("routing", "/v1/rules/documents/{document}/articles"): "a document of the caller's own rule pack",
    ("routing", "/v1/rules/decisions/{name}"): "a decision table of the caller's own rule pack",
    ("routing", "/v1/rules/decisions/{name}/evaluate"): "a decision table of the caller's own rule pack",
    ("routing", "/v1/rules/points/{point}"): "an interpretation point of the caller's own rule pack",
    ("routing", "/v1/rules/points/{point}/choices"): "an interpretation point of the caller's own rule pack",
    ("routing", "/v1/calendar/years/{year}"): "a year of the caller's own tenant calendar",
    ("routing", "/v1/calendar/local-days/{year}"): "a year of the caller's own tenant calendar",
}

# Of a department the discipline-supervision office that handles it (ks-supervision-1) is linked to.
CITY_CADRE = {
    "kind": "person",
    "name": "钱国强",
    "post": "副局长",
    "unit": "市发展和改革委员会",
    "cadre_level": "city_managed",
    "sector": "city_department",
    "party_member": True,
}
TOWN_CADRE = {
    **CITY_CADRE,
    "name": "沈小林",
    "unit": "巴城镇",
    "cadre_level": "not_city_managed",
    "sector": "district_town",
}
APPROVERS = {"commission_leaders": "ks-leader", "principal_leader": "ks-principal"}


def bodies() -> dict[str, Any]:
    """What the workflow tests send to each route (by its path, else its last segment), so a
    refusal cannot come from body validation alone."""
    today = get_pack("kunshan").today().isoformat()
    return {
        "acceptance": {"outcome": "accepted", "participants": ["室主任"], "study_date": today},
        "/v1/matter-imports/{job_id}/acceptance": {"participants": ["室主任"], "study_date": today},
        # An office of the caller's own tenant: the handler is checked against it before the slip is looked up.
        "override": {"handler": "conduct_office", "reason": "分办意见调整"},
        "signatures": {"opinion": "agree"},
        "approvals": {"comment": "同意"},
        "/v1/cases/{case_id}/approvals": {"stage": "decision"},
        "escalations": {"outcome": "decided", "handler": "discipline_supervision_office", "text": "研究决定"},
        "findings": {"findings": "工作作风漂浮。", "evidence": ["谈话笔录"]},
        "recommendations": {
            "target_index": 0,
            "statement": "失职失责",
            "legal_basis": "昆纪办发〔2019〕19号 附件6",
            "severity": "heavier",
            "circumstances": ["dereliction_of_duty", "unfit_for_current_post"],
            "proposed_measures": ["reassignment"],
        },
        "hearings": {"target_index": 0, "held_on": "2026-12-01", "arguments": []},
        "decision": {
            "decided_on": today,
            "simplified": False,
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": []}],
        },
        "reassign": {"username": FOREIGN_USER},
    }


def kunshan_objects(ks) -> tuple[dict[str, list[str]], list[str]]:
    """Real Kunshan objects of every kind a route names, by path parameter, and the text that
    would betray any of them (numbers, summary, facts)."""
    consulted = ks.submit_and_accept(
        "ks-supervision-1", "ks-intake", source="city_government", targets=[CITY_CADRE], proposed_form="form_2"
    )
    slip = ks.slips(consulted["id"], "ks-intake")[0]
    signing = ks.user("ks-intake").task_of_matter("consultation_signature", consulted["id"])
    consultation_path = f"/v1/consultations/{signing['subject_id']}"
    consultation = ks.user("ks-intake").get("review", consultation_path)
    for username in PARTICIPANTS.values():
        ks.user(username).ok("review", f"{consultation_path}/signatures", {"opinion": "agree"})
    for office in ks.user("ks-intake").get("review", consultation_path)["approved_by"]:
        ks.user(APPROVERS[office]).ok("review", f"{consultation_path}/approvals", {})
    slip = ks.wait_routed(slip["id"], "ks-intake")
    case = ks.case(slip["id"], "ks-supervision-1")
    handler = ks.user("ks-supervision-1")
    handler.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "对分管领域安全生产监管失职。", "evidence": ["调查报告"]},
    )
    handler.ok("review", f"/v1/cases/{case['id']}/recommendations", bodies()["recommendations"])
    case = ks.read_case(case["id"], "ks-supervision-1")
    assert case["state"] == "joint_review", case["state"]
    joint = ks.user("ks-intake").get("review", f"/v1/joint-reviews/{case['joint_review_id']}")
    joint_signing = ks.user("ks-intake").task("joint_review_signature", joint["id"])

    # Routed at once, without a consultation: a case of the town commission.
    direct = ks.submit_and_accept(
        "ks-town-bacheng", "ks-intake", source="grassroots_or_media", targets=[TOWN_CADRE], proposed_form="form_1"
    )
    direct_slip = ks.routed_slip(direct["id"], "ks-intake")
    direct_case = ks.case(direct_slip["id"], "ks-town-bacheng")

    # An import with one registered and one refused row, so its errors list is not empty.
    bulk = ks.user_with_roles("ks-intake", sorted(CAPABILITIES))
    rows: list[dict[str, Any]] = [
        {
            "source": "city_government",
            "source_reference": f"E2E-{uuid.uuid4().hex[:12]}",
            "summary": "批量导入的问题线索",
            "facts": "经初核，相关单位落实整改不到位。",
            "targets": [CITY_CADRE],
            "proposed_form": "form_2",
        },
        {"source": "city_government", "summary": "缺少必填字段的线索"},
    ]
    started = bulk.clients["intake"].post(
        "/v1/matter-imports",
        content="\n".join(json.dumps(row, ensure_ascii=False) for row in rows),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    ids = {
        "matter_id": [consulted["id"], direct["id"]],
        "slip_id": [slip["id"], direct_slip["id"]],
        "deliberation_id": [consultation["id"], joint["id"]],
        "case_id": [case["id"], direct_case["id"]],
        "investigation_id": [case["investigation"]["id"], direct_case["investigation"]["id"]],
        "task_id": [signing["id"], joint_signing["id"]],
        "job_id": [job_id],
    }
    texts = [
        consulted["summary"],
        rows[0]["summary"],
        rows[1]["summary"],
        slip["number"],
        consultation["number"],
        joint["number"],
    ]
    return ids, texts


def routes(stack) -> list[tuple[str, str, str]]:
    """(service, method, path template) of every operation whose path has a parameter."""
    found = []
    for service in ("intake", "routing", "review"):
        document = httpx.get(f"{stack[service].url}/openapi.json", timeout=30).raise_for_status().json()
        for path, operations in document["paths"].items():
            if "{" in path:
                found += [(service, method.upper(), path) for method in operations if method != "parameters"]
    return found


def test_another_tenant_gets_nothing_of_kunshan(stack, tenant_for) -> None:
    intruder = tenant_for(FOREIGN_REALM).user_with_roles(FOREIGN_USER, sorted(CAPABILITIES))
    attempt_everything(stack, tenant_for, intruder, f"{FOREIGN_REALM} ({FOREIGN_USER})")


def test_an_unrelated_office_of_kunshan_gets_nothing_of_kunshan(stack, tenant_for, token) -> None:
    ks = tenant_for("wenze-kunshan")
    roles = sorted(CAPABILITIES - OVERSIGHT)
    every_level = [
        *get_pack("kunshan").vocabulary["cadre_levels"],
        *get_pack("kunshan").vocabulary["organisation_levels"],
    ]
    claims = {
        "office": UNRELATED_OFFICE,
        "office_name": get_pack("kunshan").vocabulary["offices"][UNRELATED_OFFICE],
        "cadre_authority": every_level,
        "linked_units": [],
        "preferred_username": "ks-unrelated",
    }
    intruder = ks._clients("ks-unrelated", token("wenze-kunshan", "ks-case-management", roles=roles, claims=claims))
    attempt_everything(stack, tenant_for, intruder, f"Kunshan's {UNRELATED_OFFICE}")


def attempt_everything(stack, tenant_for, intruder, who: str) -> None:
    ks = tenant_for("wenze-kunshan")
    ids, texts = kunshan_objects(ks)
    every_id = {object_id for group in ids.values() for object_id in group}

    operations = routes(stack)
    templates = {(service, path) for service, _, path in operations}
    assert set(NOT_OBJECT_ROUTES) <= templates, f"listed routes no longer served: {set(NOT_OBJECT_ROUTES) - templates}"
    unmapped = sorted(
        f"{service} {path}: {name}"
        for service, _, path in operations
        if (service, path) not in NOT_OBJECT_ROUTES
        for name in re.findall(r"{(\w+)}", path)
        if name not in ids
    )
    assert not unmapped, f"path parameters with no Kunshan object and no listed reason: {unmapped}"

    owner = ks.user_with_roles("ks-intake", sorted(CAPABILITIES))
    body_of = bodies()
    statuses: Counter[int] = Counter()
    breaches: list[str] = []
    for service, method, path in operations:
        if (service, path) in NOT_OBJECT_ROUTES:
            continue
        names = re.findall(r"{(\w+)}", path)
        owner_read = False
        for values in itertools.product(*(ids[name] for name in names)):
            url = path.format(**dict(zip(names, values, strict=True)))
            body = (
                body_of.get(path, body_of.get(path.rsplit("/", 1)[-1], {}))
                if method in ("POST", "PUT", "PATCH")
                else None
            )
            if method == "GET":
                # The owner reads it: the ids are of the right kind, so a refusal below is the check under test.
                owner_read |= owner.clients[service].get(url).status_code == 200
            response = intruder.clients[service].request(method, url, json=body)
            statuses[response.status_code] += 1
            leaked = [text for text in texts + sorted(every_id - set(values)) if text in response.text]
            if response.status_code not in REFUSED or leaked:
                breaches.append(
                    f"{method} {service}{url}: {response.status_code} disclosing {leaked} {response.text[:300]}"
                )
        if method == "GET":
            assert owner_read, f"no Kunshan id fills GET {service}{path} for Kunshan itself"

    tried = statuses.total()
    print(f"\nobject-level matrix: {tried} requests by {who}: {dict(statuses)}, {len(breaches)} not refused")
    assert not breaches, f"{len(breaches)} of {tried} requests by {who} not refused:\n" + "\n".join(breaches)
