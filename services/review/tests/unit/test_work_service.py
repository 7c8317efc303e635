"""Who may take a task and to whom it may be handed, through the real service on a database of
its own."""

from __future__ import annotations

import pytest

from wenze.auth.access import OutsideLinkedUnits, StepNotYours
from wenze.auth.capabilities import CONSULTATION_SIGN
from wenze.db.audit import AuditEntry
from wenze.problems import ValidationFailed
from wenze_review.deliberations.models import Deliberation
from wenze_review.deliberations.schemas import SignatureCreate
from wenze_review.errors import TaskHeld, WrongState
from wenze_review.work.models import Task, TimelineEntry

from .support import Review, consultation_requested, user

OFFICE = "party_conduct_office"
HOLDER = user(OFFICE, CONSULTATION_SIGN, username="holder")
COLLEAGUE = user(OFFICE, CONSULTATION_SIGN, username="colleague")


async def signature_task(review: Review) -> Task:
    """The party-conduct office's task of signing a new consultation; its two users known to the
    service, as their requests to the API would have made them."""
    for member in (HOLDER, COLLEAGUE):
        await review.services.work.note_member(member)
    event = consultation_requested()
    await review.services.deliberations.consultation_requested(event)
    consultation = review.one(Deliberation, matter_id=str(event.matter_id))
    return review.one(Task, subject_id=consultation.id, office=OFFICE)


async def test_a_task_someone_holds_is_claimed_by_nobody_else(review: Review) -> None:
    work = review.services.work
    task = await signature_task(review)

    claimed = await work.claim(HOLDER, task.id, None)
    assert claimed["assignee"] == "holder"
    with pytest.raises(TaskHeld) as held:
        await work.claim(COLLEAGUE, task.id, None)
    assert held.value.extra == {"assignee": "holder"} and "holder" in str(held.value.detail)
    again = await work.claim(HOLDER, task.id, None)
    assert again == claimed
    assert [h["action"] for h in review.one(Task, id=task.id).history] == ["opened", "claimed"]


async def test_claiming_needs_the_tasks_office_and_capability(review: Review) -> None:
    task = await signature_task(review)
    for outsider in (user("case_trial_office", CONSULTATION_SIGN), user(OFFICE, username="reader")):
        with pytest.raises(StepNotYours) as refused:
            await review.services.work.claim(outsider, task.id, None)
        assert refused.value.extra["capability"] == CONSULTATION_SIGN
    assert review.one(Task, id=task.id).assignee is None


async def test_a_task_is_handed_on_by_its_holder_to_a_known_user_of_its_office_who_can_act_on_it(
    review: Review,
) -> None:
    work = review.services.work
    task = await signature_task(review)
    for member in (
        user(OFFICE, username="reader"),
        user("case_trial_office", CONSULTATION_SIGN, username="trial"),
        user(OFFICE, CONSULTATION_SIGN, username="elsewhere", tenant="jintan"),
    ):
        await work.note_member(member)
    await work.claim(HOLDER, task.id, None)

    with pytest.raises(TaskHeld):
        await work.reassign(COLLEAGUE, task.id, "colleague", None)
    for username, reason, code in (
        ("never-seen", "no user of that name", "user_unknown"),
        ("elsewhere", "no user of that name", "user_unknown"),
        ("trial", "trial acts for case_trial_office", "user_of_another_office"),
        ("reader", "reader lacks consultation:sign", "user_lacks_capability"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            await work.reassign(HOLDER, task.id, username, None)
        (error,) = refused.value.extra["errors"]
        assert error["field"] == "body.username" and error["reason"].startswith(reason), error
        assert error["code"] == code, error
    assert review.one(Task, id=task.id).assignee == "holder"

    handed = await work.reassign(HOLDER, task.id, "colleague", None)
    assert handed["assignee"] == "colleague"
    assert handed["history"][-1] | {"at": None} == {
        "at": None,
        "action": "reassigned",
        "by": "holder",
        "from": "holder",
        "to": "colleague",
    }
    (entry,) = review.rows(TimelineEntry, action="task_reassigned")
    assert (entry.actor, entry.detail["to"]) == ("holder", "colleague")


async def test_a_users_latest_token_says_which_office_they_act_for(review: Review) -> None:
    work = review.services.work
    task = await signature_task(review)
    await work.note_member(user("case_trial_office", CONSULTATION_SIGN, username="colleague"))
    with pytest.raises(ValidationFailed) as moved:
        await work.reassign(HOLDER, task.id, "colleague", None)
    assert moved.value.extra["errors"][0]["reason"].startswith("colleague acts for case_trial_office")


async def test_a_closed_task_is_neither_claimed_nor_handed_on(review: Review) -> None:
    work = review.services.work
    task = await signature_task(review)
    await review.services.deliberations.sign(
        HOLDER, "consultation", task.subject_id, SignatureCreate(opinion="agree"), None
    )
    closed = review.one(Task, id=task.id)
    assert (closed.state, closed.closed_by) == ("done", "holder")

    with pytest.raises(WrongState):
        await work.claim(COLLEAGUE, task.id, None)
    with pytest.raises(WrongState):
        await work.reassign(HOLDER, task.id, "colleague", None)
    (listed,) = await work.tasks(HOLDER, "done", 10)
    assert [h["action"] for h in listed.history] == ["opened", "done"]


async def test_a_task_whose_holder_has_left_its_office_is_taken_over_by_the_office(review: Review) -> None:
    work = review.services.work
    task = await signature_task(review)
    await work.claim(HOLDER, task.id, None)
    await work.note_member(user("case_trial_office", CONSULTATION_SIGN, username="holder"))

    taken = await work.claim(COLLEAGUE, task.id, None)
    assert taken["assignee"] == "colleague"
    assert [(h["action"], h["from"]) for h in taken["history"][1:]] == [("claimed", None), ("claimed", "holder")]


async def test_a_task_is_handed_only_to_a_member_whose_authority_covers_its_targets(review: Review) -> None:
    """The consultation concerns a city-managed cadre: a colleague whose authority is the town's
    cadres would hold a task they cannot act on."""
    work = review.services.work
    task = await signature_task(review)
    await work.note_member(user(OFFICE, CONSULTATION_SIGN, username="town-level", authority=["not_city_managed"]))
    await work.claim(HOLDER, task.id, None)
    with pytest.raises(ValidationFailed) as refused:
        await work.reassign(HOLDER, task.id, "town-level", None)
    (error,) = refused.value.extra["errors"]
    assert error["field"] == "body.username" and "city_managed" in error["reason"], error
    assert error["code"] == "user_outside_authority", error
    assert review.one(Task, id=task.id).assignee == "holder"


async def test_an_office_linked_to_other_units_acts_only_on_a_task_handed_to_it(review: Review) -> None:
    work = review.services.work
    task = await signature_task(review)
    elsewhere = user(OFFICE, CONSULTATION_SIGN, username="linked-elsewhere", linked_units=["张浦镇"])
    await work.note_member(elsewhere)
    sign = SignatureCreate(opinion="agree")
    for refused_step in (
        work.claim(elsewhere, task.id, None),
        review.services.deliberations.sign(elsewhere, "consultation", task.subject_id, sign, None),
    ):
        with pytest.raises(OutsideLinkedUnits) as refused:
            await refused_step
        assert refused.value.extra == {"units": ["市住房和城乡建设局"]}

    await work.claim(HOLDER, task.id, None)
    await work.reassign(HOLDER, task.id, "linked-elsewhere", None)
    signed = await review.services.deliberations.sign(elsewhere, "consultation", task.subject_id, sign, None)
    assert [s["username"] for s in signed["signatures"]] == ["linked-elsewhere"]
    # Each change left one entry, by whom and for which office; the refusals none.
    assert [(e.action, e.actor) for e in sorted(review.rows(AuditEntry), key=lambda e: e.id)] == [
        ("consultation.open", "system:review"),
        ("task.claim", "holder"),
        ("task.reassign", "holder"),
        ("consultation.sign", "linked-elsewhere"),
    ]
