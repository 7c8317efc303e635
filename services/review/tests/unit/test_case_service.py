"""Cases through the real service on a database of its own: start approvals in either
order, a recommendation the rules refuse, a decision that waits for its hearing, and the year
of a decision's number at the tenant's new year."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from wenze.auth.capabilities import APPROVAL_SIGN, DECISION_MAKE
from wenze.auth.principal import PLATFORM
from wenze.calendar import YearDefinition
from wenze.db.audit import AuditEntry
from wenze.events.review import DecisionMade, StepRecorded
from wenze.events.routing import CalendarYearLoaded, MatterRouted, SlipOverride
from wenze.problems import ValidationFailed
from wenze_review.calendar.models import RoutingCalendarYear
from wenze_review.cases.models import Case, DecidedPerson, Decision, Investigation, Recommendation
from wenze_review.cases.schemas import (
    CaseApprovalCreate,
    DecisionCopyCreate,
    DecisionCreate,
    FindingsCreate,
    HearingCreate,
    RecommendationCreate,
    TargetMeasures,
)
from wenze_review.deliberations.models import Deliberation
from wenze_review.errors import ApprovalOutOfOrder, CaseNotFound, RuleRefusal, StepMissing, WrongState
from wenze_review.work.models import Task, TimelineEntry

from .support import CITY_CADRE, PACK, TOWN_CADRE, Review, consultation_requested, matter_routed, user

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
    states = {e.action: e.case_state for e in review.published(StepRecorded) if e.case_id is not None}
    assert states["findings_recorded"] == "recommending"
    assert states["decision_stage_opened"] == "deciding"
    return case


@pytest.mark.parametrize(
    "order", [("commission_leaders", "principal_leader"), ("principal_leader", "commission_leaders")]
)
async def test_the_investigation_opens_once_every_start_approval_is_in_in_either_order(
    order: tuple[str, str], review: Review
) -> None:
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
    # Each step is published with the state it left the case in: the last approval opened the investigation.
    steps = [(e.action, e.office, e.case_state) for e in review.published(StepRecorded)]
    assert steps == [
        ("case_opened", "district_town_commission", "awaiting_start_approval"),
        ("start_approved", order[0], "awaiting_start_approval"),
        ("start_approved", order[1], "investigating"),
    ]
    entries = review.rows(TimelineEntry, case_id=case.id)
    assert [e.action for e in entries] == [action for action, _, _ in steps]


async def test_a_recommendation_the_rules_refuse_is_not_recorded(review: Review) -> None:
    case = await route(review)
    investigation = review.one(Investigation, case_id=case.id)
    await review.services.cases.record_findings(TOWN, investigation.id, FindingsCreate(findings="查明"), None)

    too_heavy = RecommendationCreate(**LIGHTER, proposed_measures=["removal_from_post"])
    with pytest.raises(RuleRefusal) as refused:
        await review.services.cases.recommend(TOWN, case.id, too_heavy, None)
    assert refused.value.extra["errors"] == [
        {
            "field": "body.proposed_measures",
            "reason": "removal_from_post not permitted; permitted: criticism_education",
            "code": "measures_not_permitted",
        }
    ]
    assert refused.value.extra["measures"] == ["removal_from_post"]
    assert refused.value.extra["citations"] == ["审测〔2024〕1号 第五条"]
    assert not review.rows(Recommendation, case_id=case.id)
    assert review.one(Task, case_id=case.id, kind="recommendation").state == "open"
    assert "recommendation_recorded" not in [e.action for e in review.rows(TimelineEntry, case_id=case.id)]
    assert review.one(Case, id=case.id).state == "recommending"


async def test_a_decision_waits_for_the_hearing_the_rules_require(review: Review) -> None:
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
        ("decision_copy", "open"),
    }


async def test_at_the_new_year_in_china_while_utc_is_still_in_the_old_one_documents_take_the_new_year(
    review: Review,
) -> None:
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
    # 2027's working days are not loaded: the decision stands, its copy waits without a day, and why is recorded.
    (task,) = review.rows(Task, case_id=case.id, kind="decision_copy")
    assert task.state == "open" and task.due is None
    (made,) = review.rows(TimelineEntry, case_id=case.id, action="decision_made")
    assert made.detail["copy_due"] is None and "2027" in made.detail["copy_due_unknown"]

    consultation = consultation_requested(relevant_date=dt.date(2026, 12, 31))
    await review.services.deliberations.consultation_requested(consultation)
    assert review.one(Deliberation, matter_id=str(consultation.matter_id)).number == "审测问商〔2027〕1号"


async def test_a_case_is_read_by_the_offices_its_routing_names_and_within_authority(
    review: Review,
) -> None:
    """Named by the slip or its routing outcome, whatever the role: party to the matter. Neither
    named nor overseeing: not found, as an id nothing has. Overseeing, within authority only."""
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
    assert await review.services.cases.list_cases(overseer, None, 10, mine=False) == []
    within = user("case_management_office", "matter:oversee", authority=["not_city_managed"])
    assert [c.id for c in await review.services.cases.list_cases(within, None, 10, mine=False)] == [case.id]
    # Each read and list is in the audit log, by whom; the refused ones are not.
    assert [(e.action, e.actor) for e in sorted(review.rows(AuditEntry), key=lambda e: e.id)] == [
        ("case.open", "system:review"),
        ("case.read", "case_trial_office-user"),
        ("case.read", "district_town_commission-user"),
        ("case.list", "case_management_office-user"),
        ("case.list", "case_management_office-user"),
    ]
    assert [e.detail["count"] for e in review.rows(AuditEntry, action="case.list")] == [0, 1]
    # Reading it is not being party to it: the office's own list leaves it out unless widened.
    assert await review.services.cases.list_cases(within, None, 10) == []
    assert [c.id for c in await review.services.cases.list_cases(TOWN, None, 10)] == [case.id]


async def test_a_decision_without_the_measure_the_rules_require_is_refused_naming_the_rule(review: Review) -> None:
    case = await recommended_town_case(review)
    today = PACK.local_date(review.clock())
    await review.services.cases.hear(TOWN, case.id, HearingCreate(target_index=0, held_on=today, arguments=[]), None)

    empty = DecisionCreate(decided_on=today, facts_clear=True, measures=[TargetMeasures(target_index=0, measures=[])])
    with pytest.raises(RuleRefusal) as refused:
        await review.services.cases.decide(TOWN, case.id, empty, None)
    assert refused.value.extra["errors"] == [
        {
            "field": "body.measures.0.measures",
            "reason": "at least one measure is required for this target; none was given",
            "code": "measures_required",
        }
    ]
    assert refused.value.extra["rules"] == ["measure_named"]
    assert refused.value.extra["citations"] == ["审测〔2024〕1号 第五条"]
    assert not review.rows(Decision) and review.one(Case, id=case.id).state == "deciding"


async def test_a_measure_outside_the_catalogue_is_refused_by_name(review: Review) -> None:
    case = await route(review)
    investigation = review.one(Investigation, case_id=case.id)
    await review.services.cases.record_findings(TOWN, investigation.id, FindingsCreate(findings="查明"), None)
    with pytest.raises(ValidationFailed) as refused:
        await review.services.cases.recommend(
            TOWN, case.id, RecommendationCreate(**LIGHTER, proposed_measures=["fine"]), None
        )
    assert refused.value.extra["errors"] == [
        {
            "field": "body.proposed_measures",
            "reason": "fine: not in the tenant's catalogue of measures",
            "code": "unknown_measures",
        }
    ]
    assert refused.value.extra["measures"] == ["fine"]
    empty = RecommendationCreate(**LIGHTER, proposed_measures=[])
    with pytest.raises(RuleRefusal) as none_given:
        await review.services.cases.recommend(TOWN, case.id, empty, None)
    assert none_given.value.extra["errors"][0]["field"] == "body.proposed_measures"
    assert not review.rows(Recommendation, case_id=case.id)


async def test_approvals_the_rules_order_are_given_in_that_order(review: Review) -> None:
    """A removal is approved by the principal leader, then by the commission's leaders: the
    second approval is refused first, naming the step before it, and queued only once it is done."""
    cases = review.services.cases
    case = await route(review, target=CITY_CADRE, joint_review_required=False)
    handler = user(case.handler or "", DECISION_MAKE)
    investigation = review.one(Investigation, case_id=case.id)
    await cases.record_findings(handler, investigation.id, FindingsCreate(findings="查明"), None)
    removal = RecommendationCreate(**{**LIGHTER, "severity": "heavier"}, proposed_measures=["removal_from_post"])
    deciding = await cases.recommend(handler, case.id, removal, None)
    assert deciding["state"] == "deciding"
    assert deciding["requirements"]["approved_by"] == ["principal_leader", "commission_leaders"]
    assert [s["step"] for s in deciding["requirements"]["approval_sequence"]] == [
        "principal_approval",
        "leaders_approval",
    ]
    queued = {t.office for t in review.rows(Task, case_id=case.id, kind="decision_approval")}
    assert queued == {"principal_leader"}

    decision_stage = CaseApprovalCreate(stage="decision")
    with pytest.raises(ApprovalOutOfOrder) as early:
        await cases.approve(user("commission_leaders", APPROVAL_SIGN), case.id, decision_stage, None)
    assert early.value.status == 409
    assert early.value.extra["step"] == "principal_approval"
    assert early.value.extra["offices"] == ["principal_leader"]
    assert early.value.extra["office_labels"] == ["委主要领导"]
    assert "委主要领导" in early.value.detail and "主要领导审批" in early.value.detail
    assert not review.rows(Task, case_id=case.id, kind="decision_approval", office="commission_leaders")

    await cases.approve(user("principal_leader", APPROVAL_SIGN), case.id, decision_stage, None)
    (task,) = review.rows(Task, case_id=case.id, kind="decision_approval", office="commission_leaders")
    assert task.state == "open"
    approved = await cases.approve(user("commission_leaders", APPROVAL_SIGN), case.id, decision_stage, None)
    assert [a["office"] for a in approved["approvals"]] == ["principal_leader", "commission_leaders"]
    assert {t.state for t in review.rows(Task, case_id=case.id, kind="decision_approval")} == {"done"}


async def test_the_copy_a_decision_owes_is_due_on_the_working_day_the_rules_give(review: Review) -> None:
    """Decided on Wednesday 30 September 2026: three working days run past the National Day
    holiday to the make-up working Saturday, 10 October; the task says so until the copy is recorded."""
    review.clock.now = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)
    case = await recommended_town_case(review, relevant_date=dt.date(2026, 9, 1))
    on = dt.date(2026, 9, 30)
    await review.services.cases.hear(TOWN, case.id, HearingCreate(target_index=0, held_on=on, arguments=[]), None)
    decided = await review.services.cases.decide(TOWN, case.id, decision(on), None)
    assert decided["requirements"]["copy_to"] == ["party_conduct_office"]
    assert decided["requirements"]["copy_due"] == "2026-10-10"
    (task,) = review.rows(Task, case_id=case.id, kind="decision_copy")
    assert (task.office, task.state, task.due) == ("district_town_commission", "open", dt.date(2026, 10, 10))
    assert task.subject_id == decided["decision"]["id"] and task.citations == ["审测〔2024〕1号 第六条"]

    cases = review.services.cases
    review.clock.now = dt.datetime(2026, 10, 9, 2, 0, tzinfo=dt.UTC)
    with pytest.raises(ValidationFailed) as early:
        await cases.record_copy(TOWN, case.id, DecisionCopyCreate(copied_on=dt.date(2026, 9, 29)), None)
    assert early.value.extra["errors"][0]["field"] == "body.copied_on"
    with pytest.raises(ValidationFailed):
        await cases.record_copy(TOWN, case.id, DecisionCopyCreate(copied_on=dt.date(2026, 10, 10)), None)
    await cases.record_copy(TOWN, case.id, DecisionCopyCreate(copied_on=dt.date(2026, 10, 9)), None)
    assert review.one(Task, case_id=case.id, kind="decision_copy").state == "done"
    (entry,) = review.rows(TimelineEntry, case_id=case.id, action="decision_copied")
    assert entry.detail["to"] == ["party_conduct_office"] and entry.detail["late"] is False
    with pytest.raises(WrongState):
        await cases.record_copy(TOWN, case.id, DecisionCopyCreate(copied_on=dt.date(2026, 10, 9)), None)


async def test_a_year_loaded_through_routing_counts_in_the_copy_due_and_redelivery_changes_nothing(
    review: Review,
) -> None:
    """Decided on Friday 1 January 2027, a year the bundled calendar lacks: once routing tells
    review of the year (New Year's Day and Monday 4 January off), the copy is due on Thursday 7
    January; an older load of the year arriving afterwards does not replace it."""
    review.clock.now = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)
    case = await recommended_town_case(review, relevant_date=dt.date(2026, 6, 1))
    await review.services.cases.hear(
        TOWN, case.id, HearingCreate(target_index=0, held_on=dt.date(2026, 12, 31), arguments=[]), None
    )
    holidays = [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-04", "name": "元旦"}]
    loaded = CalendarYearLoaded(
        tenant=PLATFORM,
        year=2027,
        definition=YearDefinition.model_validate({"year": 2027, "holidays": holidays}),
        loaded_by="platform-ops",
        loaded_at=dt.datetime(2026, 12, 20, tzinfo=dt.UTC),
    )
    older = loaded.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "definition": YearDefinition(year=2027),
            "loaded_at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        }
    )
    for event in (loaded, loaded, older):
        await review.services.calendars.year_loaded(event)
    assert [row.definition["holidays"] for row in review.rows(RoutingCalendarYear)] == [holidays]

    review.clock.now = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)  # 1 January 2027 in China
    decided = await review.services.cases.decide(TOWN, case.id, decision(dt.date(2027, 1, 1)), None)
    assert decided["requirements"]["copy_due"] == "2027-01-07"
    (task,) = review.rows(Task, case_id=case.id, kind="decision_copy")
    assert task.due == dt.date(2027, 1, 7)


def _override_of(case: Case, handler: str, **overrides: object) -> MatterRouted:
    override = SlipOverride(
        by="leader-override",
        office="commission_leaders",
        reason="改由他室承办",
        previous_handler=case.handler,
        previous_state="routed",
    )
    return matter_routed(
        matter_id=uuid.UUID(case.matter_id),
        slip_id=uuid.UUID(case.slip_id),
        handler=handler,
        fixed_by="override",
        override=override,
        **overrides,
    )


async def test_an_override_reaches_an_open_case_once_and_a_decided_case_not_at_all(review: Review) -> None:
    case = await recommended_town_case(review)
    rerouted = _override_of(case, "discipline_supervision_office")
    for _ in range(2):  # redelivered: applied once
        await review.services.cases.matter_routed(rerouted)
    assert len(review.rows(Case, slip_id=case.slip_id)) == 1
    reassigned = review.one(Case, id=case.id)
    assert (reassigned.handler, reassigned.state, reassigned.fixed_by) == (
        "discipline_supervision_office",
        "deciding",
        "override",
    )
    (entry,) = review.rows(TimelineEntry, case_id=case.id, action="case_reassigned")
    assert entry.detail["previous_handler"] == "district_town_commission" and entry.actor == "leader-override"
    # The investigation was done: it stays with the office that did it. The hearing still to
    # hold goes to the new handler; the decision stays with the body the pack names.
    assert review.one(Investigation, case_id=case.id).office == "district_town_commission"
    open_tasks = {(t.kind, t.office) for t in review.rows(Task, case_id=case.id, state="open")}
    assert open_tasks == {("hearing", "discipline_supervision_office"), ("decision", "district_town_commission")}

    # A slip routed again without an override, or an override after the decision, changes nothing.
    decided = await recommended_town_case(review)
    await review.services.cases.hear(
        TOWN, decided.id, HearingCreate(target_index=0, held_on=PACK.local_date(review.clock()), arguments=[]), None
    )
    await review.services.cases.decide(TOWN, decided.id, decision(PACK.local_date(review.clock())), None)
    await review.services.cases.matter_routed(_override_of(decided, "discipline_supervision_office"))
    plain = matter_routed(matter_id=uuid.UUID(decided.matter_id), slip_id=uuid.UUID(decided.slip_id))
    await review.services.cases.matter_routed(plain)
    assert review.one(Case, id=decided.id).handler == "district_town_commission"
    reasons = [
        e.detail["reason"] for e in review.rows(TimelineEntry, case_id=decided.id, action="override_not_applied")
    ]
    assert len(reasons) == 2 and "decided" in reasons[0] and "without an override" in reasons[1]
    assert not review.rows(TimelineEntry, case_id=decided.id, action="case_reassigned")


async def test_an_earlier_override_delivered_after_a_later_one_changes_nothing(review: Review) -> None:
    case = await route(review, slip_revision=0)
    later = _override_of(case, "review_investigation_office", slip_revision=2)
    earlier = _override_of(case, "discipline_supervision_office", slip_revision=1)
    await review.services.cases.matter_routed(later)
    await review.services.cases.matter_routed(earlier)
    reassigned = review.one(Case, id=case.id)
    assert (reassigned.handler, reassigned.slip_revision) == ("review_investigation_office", 2)
    assert review.one(Investigation, case_id=case.id).office == "review_investigation_office"
    (refused,) = review.rows(TimelineEntry, case_id=case.id, action="override_not_applied")
    assert "revision 2" in refused.detail["reason"] and "revision 1" in refused.detail["reason"]
