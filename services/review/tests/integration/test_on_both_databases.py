"""Review's services on both databases the platform uses, a SQLite file (the embedded default,
where ``FOR UPDATE`` locks nothing) and PostgreSQL: their migrations, concurrent claims of one
task, a step closing its tasks, and one consultation per slip however often it is requested."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wenze.auth.capabilities import CONSULTATION_SIGN, MATTER_READ
from wenze.auth.principal import Principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze.persons import DEVELOPMENT_KEY, PersonReferences
from wenze.problems import Problem
from wenze_review.app import MIGRATIONS
from wenze_review.deliberations.models import Deliberation
from wenze_review.deliberations.repository import DeliberationRepository
from wenze_review.deliberations.schemas import SignatureCreate
from wenze_review.errors import TaskHeld
from wenze_review.repositories import make_repositories
from wenze_review.services import Services, build_services
from wenze_review.work.models import Task
from wenze_review.work.repository import WorkRepository

from .support import AUTHORITY, TEST_PACK, consultation_event

pytestmark = pytest.mark.integration

CLAIMANTS = 6


def conduct_user(name: str) -> Principal:
    return Principal(
        tenant="kunshan",
        subject=name,
        username=name,
        roles=frozenset({CONSULTATION_SIGN, MATTER_READ}),
        office="party_conduct_office",
        cadre_authority=AUTHORITY["party_conduct_office"],
    )


@pytest.fixture(params=["sqlite", "postgresql"])
async def services(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> AsyncIterator[Services]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'review.db'}", "review"
    else:
        url, schema = database_url, f"review_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, url, schema)
    engine = create_engine(url, schema=schema)
    yield build_services(
        UnitOfWorkFactory(engine, make_repositories), PersonReferences(DEVELOPMENT_KEY), packs=lambda tenant: TEST_PACK
    )
    await engine.dispose()


@pytest.fixture
def claims_meet_before_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every claimant has read the task unheld before any of them writes: the race at its worst."""
    everyone_has_read = asyncio.Barrier(CLAIMANTS)
    hand_over = WorkRepository.hand_over

    async def after_everyone_has_read(self: WorkRepository, task: Task, to: str, entry: dict[str, Any]) -> bool:
        await everyone_has_read.wait()
        return await hand_over(self, task, to, entry)

    monkeypatch.setattr(WorkRepository, "hand_over", after_everyone_has_read)


@pytest.mark.usefixtures("claims_meet_before_writing")
async def test_of_concurrent_claims_exactly_one_wins_and_signing_closes_the_task(services: Services) -> None:
    event = consultation_event()
    await services.deliberations.consultation_requested(event)
    claimants = [conduct_user(f"sqlite-{i}") for i in range(CLAIMANTS)]
    for claimant in claimants:
        await services.work.note_member(claimant)
    (task,) = await services.work.tasks(claimants[0], "open", 10)

    async def claim(claimant: Principal) -> str:
        try:
            return (await services.work.claim(claimant, task.id, None))["assignee"]
        except TaskHeld as held:
            return f"held by {held.extra['assignee']}"

    outcomes = await asyncio.gather(*(claim(c) for c in claimants))

    winners = [o for o in outcomes if not o.startswith("held by")]
    assert len(winners) == 1, outcomes
    assert outcomes.count(f"held by {winners[0]}") == CLAIMANTS - 1
    (held,) = await services.work.tasks(claimants[0], "open", 10)
    assert held.assignee == winners[0] and [h["action"] for h in held.history] == ["opened", "claimed"]

    signer = next(c for c in claimants if c.username == winners[0])
    await services.deliberations.sign(signer, "consultation", task.subject_id, SignatureCreate(opinion="agree"), None)
    (done,) = await services.work.tasks(signer, "done", 10)
    assert (done.id, done.closed_by) == (task.id, winners[0])
    assert [h["action"] for h in done.history] == ["opened", "claimed", "done"]


async def consultations_of_slip(services: Services, slip_id: uuid.UUID) -> list[str]:
    async with services.deliberations.uow() as uow:
        stmt = select(Deliberation.id).where(Deliberation.kind == "consultation", Deliberation.slip_id == str(slip_id))
        return list((await uow.session.scalars(stmt)).all())


async def test_a_slip_asking_again_for_its_consultation_keeps_the_one_it_has(services: Services) -> None:
    """The same request under another event id (published again after a restore, say)."""
    event = consultation_event()
    await services.deliberations.consultation_requested(event)
    await services.deliberations.consultation_requested(event.model_copy(update={"event_id": uuid.uuid4()}))

    (consultation_id,) = await consultations_of_slip(services, event.slip_id)
    conduct = conduct_user("conduct-1")
    await services.work.note_member(conduct)
    (task,) = await services.work.tasks(conduct, "open", 10)
    assert task.subject_id == consultation_id


async def test_of_two_requests_for_one_slips_consultation_handled_at_once_one_opens_it(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = consultation_event()
    again = event.model_copy(update={"event_id": uuid.uuid4()})
    # Both handlers find no consultation of the slip before either writes one.
    both_have_looked = asyncio.Barrier(2)
    has_consultation = DeliberationRepository.has_consultation

    async def after_both_have_looked(self: DeliberationRepository, tenant: str, slip_id: str) -> bool:
        found = await has_consultation(self, tenant, slip_id)
        await both_have_looked.wait()
        return found

    monkeypatch.setattr(DeliberationRepository, "has_consultation", after_both_have_looked)
    outcomes = await asyncio.gather(
        *(services.deliberations.consultation_requested(e) for e in (event, again)), return_exceptions=True
    )
    monkeypatch.undo()

    refused = [o for o in outcomes if isinstance(o, IntegrityError)]
    assert len(refused) == 1 and outcomes.count(None) == 1, outcomes
    # The consumer has the refused one redelivered; it then finds the consultation open.
    await services.deliberations.consultation_requested(again if outcomes[1] is refused[0] else event)
    assert len(await consultations_of_slip(services, event.slip_id)) == 1


def office_user(office: str) -> Principal:
    return Principal(
        tenant="kunshan",
        subject=f"{office}-signer",
        username=f"{office}-signer",
        roles=frozenset({CONSULTATION_SIGN, MATTER_READ}),
        office=office,
        cadre_authority=AUTHORITY[office],
    )


@pytest.fixture
def signers_meet_before_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both participant offices have read the consultation with neither signature before either
    writes its own: each, counting only what it read, would find the round still incomplete."""
    both_have_read = asyncio.Barrier(2)
    add_signature = DeliberationRepository.add_signature

    async def after_both_have_read(self: DeliberationRepository, deliberation: Any, signature: Any) -> None:
        # On PostgreSQL the first signer's row lock keeps the second from reading at all until
        # the first commits: the race cannot happen there, and the first signer goes on alone.
        with contextlib.suppress(TimeoutError, asyncio.BrokenBarrierError):
            await asyncio.wait_for(both_have_read.wait(), timeout=2.0)
        await add_signature(self, deliberation, signature)

    monkeypatch.setattr(DeliberationRepository, "add_signature", after_both_have_read)


@pytest.mark.usefixtures("signers_meet_before_writing")
async def test_the_last_two_signatures_at_once_complete_the_round(services: Services) -> None:
    event = consultation_event()
    await services.deliberations.consultation_requested(event)
    signers = [office_user(office) for office in event.participants]
    for signer in signers:
        await services.work.note_member(signer)
    (task, *_) = await services.work.tasks(signers[0], "open", 10)

    await asyncio.gather(
        *(
            services.deliberations.sign(s, "consultation", task.subject_id, SignatureCreate(opinion="agree"), None)
            for s in signers
        )
    )

    consultation = await services.deliberations.get(signers[0], "consultation", task.subject_id)
    assert len(consultation.signatures) == 2
    # Unanimous, so it waits for the leaders' approval (exactly one approval task), not for
    # a third signature that can never come.
    assert consultation.state == "approving", consultation
    leader = Principal(
        tenant="kunshan",
        subject="leader",
        username="leader",
        roles=frozenset({MATTER_READ}),
        office="commission_leaders",
        cadre_authority=AUTHORITY["commission_leaders"],
    )
    approvals = [t for t in await services.work.tasks(leader, "open", 10) if t.office == "commission_leaders"]
    assert len(approvals) == 1, approvals


@pytest.mark.usefixtures("signers_meet_before_writing")
async def test_two_signers_of_one_office_at_once_sign_it_once(services: Services) -> None:
    event = consultation_event()
    await services.deliberations.consultation_requested(event)
    office = event.participants[0]
    signers = [
        Principal(
            tenant="kunshan",
            subject=name,
            username=name,
            roles=frozenset({CONSULTATION_SIGN}),
            office=office,
            cadre_authority=AUTHORITY[office],
        )
        for name in ("conduct-a", "conduct-b")
    ]
    for signer in signers:
        await services.work.note_member(signer)
    (task, *_) = await services.work.tasks(signers[0], "open", 10)

    outcomes = await asyncio.gather(
        *(
            services.deliberations.sign(s, "consultation", task.subject_id, SignatureCreate(opinion="agree"), None)
            for s in signers
        ),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, Problem)]
    assert len(refused) == 1 and refused[0].status_code == 409, outcomes
    consultation = await services.deliberations.get(signers[0], "consultation", task.subject_id)
    assert [s.office for s in consultation.signatures] == [office]
