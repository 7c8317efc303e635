"""Cases through the real service on the in-memory repositories: start approvals in either
order, a recommendation the rules refuse, a decision that waits for its hearing, and the year
of a decision's number at the tenant's new year."""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.auth.capabilities import APPROVAL_SIGN, DECISION_MAKE
from wenze.db.audit import AuditEntry
from wenze.events.review import DecisionMade
from wenze.problems import ValidationFailed
from wenze_review.cases.models import Case, DecidedPerson, Decision, Investigation, Recommendation
from wenze_review.cases.schemas import (
    CaseApprovalCreate,
    DecisionCreate,
    FindingsCreate,
    HearingCreate,
    RecommendationCreate,
    TargetMeasures,
)
from wenze_review.deliberations.models import Deliberation
from wenze_review.errors import CaseNotFound, RuleRefusal, StepMissing, WrongState
from wenze_review.work.models import Task, TimelineEntry

from .fakes import PACK, TOWN_CADRE, Review, consultation_requested, matter_routed, user

TOWN = user("district_town_commission", DECISION_MAKE)
LIGHTER = {"target_index": 0, "statement": "作风漂浮", "legal_basis": "审测〔2024〕1号 第五条", "severity": "lighter"}


def decision(on: dt.date) -> DecisionCreate:
    return DecisionCreate(
        decided_on=on, facts_clear=True, measures=[TargetMeasures(target_index=0, measures=["criticism_education"])]
    )


async def route(review: Review, **overrides: object) -> Case:
    event = matter_routed(**overrides)
    await review.services.cases.matter_routed(event)
    return review.one(Case, matter_id=str(event.matter_id))


async def recommended_town_case(review: Review, **overrides: object) -> Case:
    """A town cadre's case with its investigation done and its recommendation recorded: deciding."""
    case = await route(review, **overrides)
    investigation = review.one(Investigation, case_id=case.id)
    await review.services.cases.record_findings(TOWN, investigation.id, FindingsCreate(findings="查明"), None)
    recommendation = RecommendationCreate(**LIGHTER, proposed_measures=["criticism_education"])
    assert (await review.services.cases.recommend(TOWN, case.id, recommendation, None))["state"] == "deciding"
    return case


@pytest.mark.parametrize(
    "order", [("commission_leaders", "principal_leader"), ("principal_leader", "commission_leaders")]
)
async def test_the_investigation_opens_once_every_start_approval_is_in_in_either_order(order: tuple[str, str]) -> None:
    review = Review()
    cases = review.services.cases
    case = await route(review, start_approved_by=["commission_leaders", "principal_leader"])
    investigation = review.one(Investigation, case_id=case.id)
    start = CaseApprovalCreate(stage="start")

    halfway = await cases.approve(user(order[0], APPROVAL_SIGN), case.id, start, None)
    assert halfway["state"] == "awaiting_start_approval" and halfway["investigation"]["state"] == "pending"
    assert not review.rows(Task, subject_id=investigation.id)
    with pytest.raises(WrongState):
        await cases.record_findings(TOWN, investigation.id, FindingsCreate(findings="查明"), None)

    opened = await cases.approve(user(order[1], APPROVAL_SIGN), case.id, start, None)
    assert opened["state"] == "investigating" and opened["investigation"]["state"] == "open"
    (task,) = review.rows(Task, subject_id=investigation.id, kind="investigation")
    assert (task.office, task.state) == ("district_town_commission", "open")
    assert [a["office"] for a in opened["approvals"]] == list(order)
    with pytest.raises(WrongState):
        await cases.approve(user(order[1], APPROVAL_SIGN, username="late"), case.id, start, None)


async def test_a_recommendation_the_rules_refuse_is_not_recorded() -> None:
    review = Review()
    case = await route(review)
    investigation = review.one(Investigation, case_id=case.id)
    await review.services.cases.record_findings(TOWN, investigation.id, FindingsCreate(findings="查明"), None)

    too_heavy = RecommendationCreate(**LIGHTER, proposed_measures=["removal_from_post"])
    with pytest.raises(RuleRefusal) as refused:
        await review.services.cases.recommend(TOWN, case.id, too_heavy, None)
    assert refused.value.extra["errors"] == [
        {"field": "body.proposed_measures", "reason": "removal_from_post not permitted; permitted: criticism_education"}
    ]
    assert refused.value.extra["measures"] == ["removal_from_post"]
    assert refused.value.extra["citations"] == ["审测〔2024〕1号 第五条"]
    assert not review.rows(Recommendation, case_id=case.id)
    assert review.one(Task, case_id=case.id, kind="recommendation").state == "open"
    assert "recommendation_recorded" not in [e.action for e in review.rows(TimelineEntry, case_id=case.id)]
    assert review.one(Case, id=case.id).state == "recommending"


async def test_a_decision_waits_for_the_hearing_the_rules_require() -> None:
    review = Review()
    case = await recommended_town_case(review)
    deciding = review.one(Case, id=case.id)
    assert deciding.requirements is not None and deciding.requirements["hearing_required"] is True
    today = PACK.local_date(review.clock())

    with pytest.raises(StepMissing) as unheard:
        await review.services.cases.decide(TOWN, case.id, decision(today), None)
    assert unheard.value.extra["step"] == "hearing" and unheard.value.extra["targets"] == [0]
    assert "审测〔2024〕1号 第七条" in unheard.value.extra["citations"]
    assert not review.rows(Decision) and review.one(Case, id=case.id).state == "deciding"

    hearing = HearingCreate(target_index=0, held_on=today, arguments=[])
    await review.services.cases.hear(TOWN, case.id, hearing, None)
    decided = await review.services.cases.decide(TOWN, case.id, decision(today), None)

    assert decided["state"] == "decided"
    assert decided["decision"]["number"] == f"审测问决〔{today.year}〕1号"
    (event,) = review.published(DecisionMade)
    assert event.decided_by == "district_town_commission" and event.measures[0].measures == ["criticism_education"]
    assert review.one(DecidedPerson, name=TOWN_CADRE.name).decided_on == today
    assert {(t.kind, t.state) for t in review.rows(Task, case_id=case.id)} == {
        ("investigation", "done"),
        ("recommendation", "done"),
        ("hearing", "done"),
        ("decision", "done"),
    }


async def test_at_the_new_year_in_china_while_utc_is_still_in_the_old_one_documents_take_the_new_year() -> None:
    review = Review()
    review.clock.now = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)  # 23:00 on 31 December in China
    case = await recommended_town_case(review, relevant_date=dt.date(2025, 6, 1))
    hearing = HearingCreate(target_index=0, held_on=dt.date(2026, 12, 31), arguments=[])
    await review.services.cases.hear(TOWN, case.id, hearing, None)

    review.clock.now = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 January 2027 in China
    for refused_on in (dt.date(2027, 1, 2), dt.date(2026, 12, 30), dt.date(2025, 6, 1)):
        with pytest.raises(ValidationFailed) as refused:
            await review.services.cases.decide(TOWN, case.id, decision(refused_on), None)
        assert refused.value.extra["errors"][0]["field"] == "body.decided_on"
    assert not review.rows(Decision)

    decided = await review.services.cases.decide(TOWN, case.id, decision(dt.date(2027, 1, 1)), None)
    assert decided["decision"]["number"] == "审测问决〔2027〕1号"

    consultation = consultation_requested(relevant_date=dt.date(2026, 12, 31))
    await review.services.deliberations.consultation_requested(consultation)
    assert review.one(Deliberation, matter_id=str(consultation.matter_id)).number == "审测问商〔2027〕1号"


async def test_a_case_is_read_by_the_offices_its_routing_names_and_within_authority() -> None:
    """Named by the slip or its routing outcome, whatever the role: party to the matter. Neither
    named nor overseeing: not found, as an id nothing has. Overseeing, within authority only."""
    review = Review()
    event = matter_routed(outcome={"handler": "district_town_commission", "implemented_by": ["case_trial_office"]})
    await review.services.cases.matter_routed(event)
    case = review.one(Case, matter_id=str(event.matter_id))
    assert (await review.services.cases.get(user("case_trial_office"), case.id)).id == case.id
    assert (await review.services.cases.get(TOWN, case.id)).id == case.id
    with pytest.raises(CaseNotFound):
        await review.services.cases.get(user("review_investigation_office"), case.id)
    overseer = user("case_management_office", "matter:oversee", authority=["city_managed"])
    with pytest.raises(CaseNotFound):
        await review.services.cases.get(overseer, case.id)
    assert await review.services.cases.list_cases(overseer, None, 10) == []
    within = user("case_management_office", "matter:oversee", authority=["not_city_managed"])
    assert [c.id for c in await review.services.cases.list_cases(within, None, 10)] == [case.id]
    # Each read and list is in the audit log, by whom; the refused ones are not.
    assert [(e.action, e.actor) for e in sorted(review.rows(AuditEntry), key=lambda e: e.id)] == [
        ("case.open", "system:review"),
        ("case.read", "case_trial_office-user"),
        ("case.read", "district_town_commission-user"),
        ("case.list", "case_management_office-user"),
        ("case.list", "case_management_office-user"),
    ]
    assert [e.detail["count"] for e in review.rows(AuditEntry, action="case.list")] == [0, 1]
