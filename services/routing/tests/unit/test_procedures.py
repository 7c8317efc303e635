"""Every intake source of every pack leads to a workflow whose routing step routes its matters:
the procedure is chosen from the matter and that procedure's routing decision is evaluated, so
no source's matters are judged by another procedure's rules and stranded without a handler."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wenze.events import TargetSnapshot
from wenze.rules import get_pack, list_tenants
from wenze.rules.facts import matter_facts, target_facts
from wenze_routing.slips.service import choose_procedure, evaluate_routing

ON = dt.date(2026, 5, 15)

SOURCES = [(tenant, source.code) for tenant in list_tenants() for source in get_pack(tenant).intake_sources(ON)]


def every_target(tenant: str) -> list[TargetSnapshot]:
    """One target of each kind the pack's vocabularies allow: a person of each cadre level, an
    organisation of each level, and an unidentified target, all in the pack's first sector."""
    vocabulary = get_pack(tenant).vocabulary
    sector = next(iter(vocabulary.get("sectors", {})), None)
    people = [
        TargetSnapshot(kind="person", name="某某", unit="某单位", cadre_level=level, sector=sector, party_member=True)
        for level in vocabulary.get("cadre_levels", {})
    ]
    organisations = [
        TargetSnapshot(kind="organisation", name="某党组织", unit="某单位", org_level=level, sector=sector)
        for level in vocabulary.get("organisation_levels", {None: ""})
    ]
    return [*people, *organisations, TargetSnapshot(kind="unknown", sector=sector)]


def route(tenant: str, source: str, target: TargetSnapshot) -> tuple[str, dict[str, Any], dict | None]:
    pack = get_pack(tenant)
    facts = matter_facts(source, False, None, [target]) | target_facts(target)
    choice, error = choose_procedure(pack, facts, ON)
    assert error is None and choice is not None, error
    evaluation, error = evaluate_routing(pack, None, facts, ON, choice.procedure, {})
    return choice.procedure, evaluation.outcome if evaluation else {}, error


def is_routed(outcome: dict[str, Any]) -> bool:
    return bool(outcome.get("handler") or outcome.get("investigated_by") or outcome.get("consultation_required"))


@pytest.mark.parametrize(("tenant", "source"), SOURCES)
def test_every_intake_source_routes_its_matters_by_its_own_procedure(tenant: str, source: str) -> None:
    pack = get_pack(tenant)
    routed = []
    for target in every_target(tenant):
        procedure, outcome, error = route(tenant, source, target)
        # The decision evaluated is the chosen procedure's, never another procedure's.
        decision = pack.decision(pack.workflow_decision("routing", procedure) or "")
        assert decision.procedure in (None, procedure)
        if is_routed(outcome):
            routed.append(target)
        else:
            # Only a target outside the document's scope waits for an override, and only
            # because no rule covers it: never for facts the pack cannot read.
            assert error is not None and error["code"] == "no_rule_matched", (target, error)
    assert routed, f"{tenant}: no target of a matter from {source!r} finds a handler"


@pytest.mark.parametrize(
    "source",
    [
        "inspected_organisation",
        "discipline_commission",
        "organisation_department",
        "functional_department",
        "inspection_group_clue",
        "inspection_office_transfer",
    ],
)
def test_every_target_of_an_inspection_rectification_matter_is_routed(source: str) -> None:
    """坛办发〔2023〕29号 第四条 holds inspected party organisations and party leaders to account,
    district-managed or not: whoever found the failure (第七条), each of them has a starter."""
    targets = [
        TargetSnapshot(kind="organisation", name="区住房和城乡建设局党组", unit="区住房和城乡建设局"),
        TargetSnapshot(kind="person", name="甲", unit="区住房和城乡建设局", cadre_level="district_managed_leader"),
        TargetSnapshot(kind="person", name="乙", unit="区住房和城乡建设局", cadre_level="other_leader"),
    ]
    for target in targets:
        procedure, outcome, error = route("jintan", source, target)
        assert procedure == "inspection_rectification"
        assert error is None and outcome.get("handler"), (source, target, error)
        # The conduct procedure's routing, which judged these matters before, finds no handler.
        facts = matter_facts(source, False, None, [target]) | target_facts(target)
        conduct, _ = evaluate_routing(get_pack("jintan"), None, facts, ON, "conduct", {})
        assert conduct is None or not is_routed(conduct.outcome)


@pytest.mark.parametrize(
    ("source", "cadre_level", "handler"),
    [
        ("inspected_organisation", "other_leader", "inspected_organisation"),
        ("inspected_organisation", "district_managed_leader", "discipline_organ"),
        ("discipline_commission", "other_leader", "discipline_organ"),
        ("organisation_department", "district_managed_leader", "organisation_department"),
        ("functional_department", "other_leader", "functional_department"),
        ("functional_department", "district_managed_leader", "discipline_organ"),
        ("inspection_group_clue", "district_managed_leader", "discipline_organ"),
        ("inspection_office_transfer", "other_leader", "discipline_organ"),
    ],
)
def test_the_starter_or_the_transfer_of_第七条(source: str, cadre_level: str, handler: str) -> None:
    target = TargetSnapshot(kind="person", name="丙", unit="区审计局", cadre_level=cadre_level)
    _, outcome, _ = route("jintan", source, target)
    assert outcome["handler"] == handler
