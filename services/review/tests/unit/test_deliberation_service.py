"""Consultations through the real service on a database of its own: approvals in either
order, escalation without consensus, deadlock."""

from __future__ import annotations

import pytest

from wenze.auth.access import StepNotYours
from wenze.auth.capabilities import APPROVAL_SIGN, CONSULTATION_SIGN
from wenze.events.review import ConsultationConcluded
from wenze.events.routing import MatterRouted, SlipOverride
from wenze.problems import ValidationFailed
from wenze_review.deliberations.models import Deliberation, EscalationRecord
from wenze_review.deliberations.schemas import ApprovalCreate, EscalationCreate, SignatureCreate
from wenze_review.errors import AlreadyApproved, WrongState
from wenze_review.work.models import Task, TimelineEntry

from .support import CITY_CADRE, Review, consultation_requested, matter_routed, user

CONDUCT = user("party_conduct_office", CONSULTATION_SIGN)
TRIAL = user("case_trial_office", CONSULTATION_SIGN)
AGREE = SignatureCreate(opinion="agree")
ANOTHER_HANDLER = SignatureCreate(opinion="other", handler="review_investigation_office", text="宜立案审查")


async def open_consultation(review: Review, **overrides: object) -> Deliberation:
    event = consultation_requested(**overrides)
    await review.services.deliberations.consultation_requested(event)
    return review.one(Deliberation, matter_id=str(event.matter_id))


async def sign_all(review: Review, consultation: Deliberation, *opinions: SignatureCreate) -> dict:
    read: dict = {}
    for signer, opinion in zip((CONDUCT, TRIAL), opinions, strict=True):
        read = await review.services.deliberations.sign(signer, "consultation", consultation.id, opinion, None)
    return read


@pytest.mark.parametrize(
    "order", [("commission_leaders", "principal_leader"), ("principal_leader", "commission_leaders")]
)
async def test_a_consultation_concludes_once_every_named_leader_has_approved_in_either_order(
    order: tuple[str, str], review: Review
) -> None:
    deliberations = review.services.deliberations
    consultation = await open_consultation(review, approved_by=["commission_leaders", "principal_leader"])
    first, last = (user(office, APPROVAL_SIGN) for office in order)

    with pytest.raises(WrongState):
        await deliberations.approve(first, "consultation", consultation.id, ApprovalCreate(), None)
    assert (await sign_all(review, consultation, AGREE, AGREE))["state"] == "approving"

    halfway = await deliberations.approve(first, "consultation", consultation.id, ApprovalCreate(), None)
    assert halfway["state"] == "approving" and halfway["awaiting_approvals"] == [order[1]]
    assert not review.published(ConsultationConcluded)
    colleague = user(order[0], APPROVAL_SIGN, username="another-of-the-same-office")
    with pytest.raises(AlreadyApproved):
        await deliberations.approve(colleague, "consultation", consultation.id, ApprovalCreate(), None)

    concluded = await deliberations.approve(last, "consultation", consultation.id, ApprovalCreate(), None)
    assert concluded["state"] == "concluded" and concluded["handler"] == "discipline_supervision_office"
    (event,) = review.published(ConsultationConcluded)
    assert event.decided_at_level == "consensus"
    assert event.approved_by == ["commission_leaders", "principal_leader"]
    approvals = review.rows(Task, subject_id=consultation.id, kind="consultation_approval")
    assert {(t.office, t.state, t.closed_by) for t in approvals} == {
        ("commission_leaders", "done", "commission_leaders-user"),
        ("principal_leader", "done", "principal_leader-user"),
    }


async def test_a_divided_consultation_goes_up_the_chain_until_a_level_decides(review: Review) -> None:
    deliberations = review.services.deliberations
    consultation = await open_consultation(review)
    divided = await sign_all(review, consultation, AGREE, ANOTHER_HANDLER)
    assert divided["state"] == "escalated" and divided["current_level"]["step"] == "leaders_in_charge"
    assert review.one(Task, subject_id=consultation.id, kind="consultation_escalation").office == "leader_in_charge"

    in_charge = user("leader_in_charge", APPROVAL_SIGN)
    no_agreement = EscalationCreate(outcome="no_agreement", text="仍有分歧")
    up = await deliberations.escalate(in_charge, "consultation", consultation.id, no_agreement, None)
    assert up["current_level"]["step"] == "secretary_special_meeting"
    with pytest.raises(StepNotYours):
        await deliberations.escalate(in_charge, "consultation", consultation.id, no_agreement, None)

    meeting = user("secretary_special_meeting", APPROVAL_SIGN)
    with pytest.raises(ValidationFailed) as last_must_decide:
        await deliberations.escalate(meeting, "consultation", consultation.id, no_agreement, None)
    assert last_must_decide.value.extra["errors"][0]["field"] == "body.outcome"
    decides = EscalationCreate(outcome="decided", handler="review_investigation_office", text="书记专题会决定")
    concluded = await deliberations.escalate(meeting, "consultation", consultation.id, decides, None)

    assert concluded["state"] == "concluded" and concluded["decided_at_level"] == "secretary_special_meeting"
    (event,) = review.published(ConsultationConcluded)
    assert (event.handler, event.approved_by) == ("review_investigation_office", ["secretary_special_meeting"])
    levels = sorted(review.rows(EscalationRecord, deliberation_id=consultation.id), key=lambda e: e.level)
    assert [(e.step, e.outcome) for e in levels] == [
        ("leaders_in_charge", "no_agreement"),
        ("secretary_special_meeting", "decided"),
    ]
    assert {t.state for t in review.rows(Task, subject_id=consultation.id)} == {"done"}


async def test_a_divided_consultation_without_a_chain_stays_deadlocked(review: Review) -> None:
    consultation = await open_consultation(review, escalation=[])
    deadlocked = await sign_all(review, consultation, AGREE, ANOTHER_HANDLER)
    assert deadlocked["state"] == "deadlocked" and deadlocked["current_level"] is None
    assert not review.published(ConsultationConcluded)
    assert "consultation_deadlocked" in [e.action for e in review.rows(TimelineEntry, subject_id=consultation.id)]
    assert not review.rows(Task, subject_id=consultation.id, state="open")


def overridden(consultation: Deliberation) -> MatterRouted:
    """Routing's event for the consultation's slip, its handler set by an override."""
    return matter_routed(
        CITY_CADRE,
        matter_id=consultation.matter_id,
        slip_id=consultation.slip_id,
        handler="review_investigation_office",
        fixed_by="override",
        override=SlipOverride(
            by="leader-1",
            office="commission_leaders",
            reason="领导指定",
            previous_handler=None,
            previous_state="in_consultation",
        ),
    )


@pytest.mark.parametrize("signatures", [(), (AGREE,), (AGREE, AGREE), (AGREE, ANOTHER_HANDLER)])
async def test_an_override_supersedes_the_consultation_in_whatever_state_it_is(
    signatures: tuple[SignatureCreate, ...], review: Review
) -> None:
    deliberations = review.services.deliberations
    consultation = await open_consultation(review)
    for signer, opinion in zip((CONDUCT, TRIAL), signatures, strict=False):
        await deliberations.sign(signer, "consultation", consultation.id, opinion, None)
    before = review.one(Deliberation, id=consultation.id).state

    await review.services.cases.matter_routed(overridden(consultation))

    assert review.one(Deliberation, id=consultation.id).state == "superseded"
    assert not review.rows(Task, subject_id=consultation.id, state="open")
    (entry,) = review.rows(TimelineEntry, subject_id=consultation.id, action="consultation_superseded")
    assert (entry.actor, entry.office) == ("leader-1", "commission_leaders")
    assert entry.detail["previous_state"] == before and entry.detail["reason"] == "领导指定"
    with pytest.raises(WrongState, match="superseded"):
        await deliberations.sign(TRIAL, "consultation", consultation.id, AGREE, None)
    with pytest.raises(WrongState, match="superseded"):
        await deliberations.approve(
            user("commission_leaders", APPROVAL_SIGN), "consultation", consultation.id, ApprovalCreate(), None
        )
    assert not review.published(ConsultationConcluded)


async def test_a_slip_routed_by_the_rules_or_a_consultation_supersedes_nothing(review: Review) -> None:
    consultation = await open_consultation(review)
    event = overridden(consultation).model_copy(update={"fixed_by": "consultation", "override": None})
    await review.services.cases.matter_routed(event)
    assert review.one(Deliberation, id=consultation.id).state == "signing"
    assert review.rows(Task, subject_id=consultation.id, state="open")
