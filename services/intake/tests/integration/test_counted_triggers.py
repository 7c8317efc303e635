"""Counted triggers: Hubei's 一案双查 (第十条（四）、（五）) opened by intake itself from the
decisions review announces, once per organisation, trigger and year, whatever is
redelivered or restarted.

The service is driven as its consumer drives it, one ``decision.made`` at a time in the
tenant's scope, against a migrated database; a "restart" is a new engine and a new service.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.interpretations import InterpretationLearner, InterpretationReading
from wenze.db.migrations import upgrade
from wenze.db.outbox import OutboxRecord
from wenze.db.tenancy import tenant_scope
from wenze.events import DecisionMade, InterpretationReadingChosen, TargetSnapshot
from wenze.events.review import DecidedMeasure
from wenze.persons import DEVELOPMENT_KEY, PersonReferences
from wenze.rules import get_pack
from wenze_devtools.testing.infra import fresh_database
from wenze_intake.app import MIGRATIONS
from wenze_intake.attachments.storage import AttachmentStore
from wenze_intake.counted_triggers.models import TriggerFiring
from wenze_intake.counted_triggers.service import CountedTriggerService
from wenze_intake.matters.models import Matter, TimelineEntry
from wenze_intake.matters.service import MatterService
from wenze_intake.matters.writers import writer_for
from wenze_intake.repositories import IntakeUnitOfWorkFactory, make_repositories
from wenze_intake.worker import INTERPRETATION_CONSUMER

pytestmark = pytest.mark.integration

TENANT = "hubei"
UNIT = "某县水利局"
ARTICLE = "湖北省党风廉政建设主体责任和监督责任追究暂行办法 第十条"


@dataclass(frozen=True)
class Place:
    url: str
    data_dir: Path


@pytest.fixture(params=["postgresql", "sqlite"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'intake.db'}"
        asyncio.run(upgrade(MIGRATIONS, url, "intake"))
        yield Place(url, tmp_path)
    else:
        with fresh_database() as url:
            asyncio.run(upgrade(MIGRATIONS, url, "intake"))
            yield Place(url, tmp_path)


@asynccontextmanager
async def running(place: Place) -> AsyncIterator[tuple[CountedTriggerService, IntakeUnitOfWorkFactory]]:
    """A worker's counting service, as a started process builds it; it is gone when the block ends."""
    engine = create_engine(place.url, schema="intake")
    uow: IntakeUnitOfWorkFactory = UnitOfWorkFactory(engine, make_repositories)
    matters = MatterService(
        uow, AttachmentStore(place.data_dir / "attachments"), writer_for(engine), PersonReferences(DEVELOPMENT_KEY)
    )
    try:
        yield CountedTriggerService(uow, matters), uow
    finally:
        await engine.dispose()


def this_year() -> tuple[dt.date, dt.date]:
    """Two days of this year in Hubei, neither in the future."""
    today = get_pack(TENANT).today()
    return dt.date(today.year, 1, 1), today


def decision(
    *,
    sanction: str | None = "removal_from_party_post",
    member: bool = True,
    on: dt.date | None = None,
    unit: str = UNIT,
    major_case: bool = False,
    name: str = "张某",
) -> DecisionMade:
    matter = uuid.uuid4()
    return DecisionMade(
        tenant=TENANT,
        matter_id=matter,
        decision_id=uuid.uuid4(),
        number=f"HB-JD-{uuid.uuid4().hex[:6]}",
        matter_number=f"HB-{uuid.uuid4().hex[:6]}",
        decided_by="same_level_party_committee",
        decided_on=on or this_year()[1],
        announced_on=None,
        simplified_procedure=False,
        measures=[
            DecidedMeasure(
                target=TargetSnapshot(kind="person", name=name, unit=unit, cadre_level="section_level"),
                measures=["removal_from_party_posts"],
                party_sanction=sanction,
                leading_group_member=member,
            )
        ],
        citations=["湖北省党风廉政建设主体责任和监督责任追究暂行办法 第十三条"],
        major_case=major_case,
    )


async def deliver(service: CountedTriggerService, *events: DecisionMade) -> None:
    for event in events:
        with tenant_scope(event.tenant):
            await service.count(event)


async def opened(uow: IntakeUnitOfWorkFactory) -> list[Matter]:
    with tenant_scope(TENANT):
        async with uow() as u:
            rows = list((await u.session.scalars(select(Matter).where(Matter.source == "dual_investigation"))).all())
            await u.commit()  # a rollback would expire what was read
            return rows


async def read(uow: IntakeUnitOfWorkFactory, model: type, *where) -> list:
    with tenant_scope(TENANT):
        async with uow() as u:
            rows = list((await u.session.scalars(select(model).where(*where))).all())
            await u.commit()
            return rows


def test_second_member_removed_opens_one_dual_investigation_whatever_is_redelivered_or_restarted(
    place: Place,
) -> None:
    first_day, today = this_year()

    async def scenario() -> None:
        first = decision(on=first_day, name="甲")
        second = decision(on=today, sanction="expulsion", name="乙")
        async with running(place) as (service, uow):
            await deliver(service, first)
            assert await opened(uow) == [], "one member removed is not enough (第十条（四）)"
            await deliver(service, second)
            [matter] = await opened(uow)
            # Redelivered: the inbox knows it.
            await deliver(service, second)
            # The same decision under another event id (the producer published it twice):
            # its targets are counted once, and the trigger has fired already.
            await deliver(service, second.model_copy(update={"event_id": uuid.uuid4()}))
            assert [m.id for m in await opened(uow)] == [matter.id]

        assert matter.state == "accepted" and matter.submitted_by == "system:intake"
        assert matter.relevant_date == today and UNIT in matter.summary
        assert [(t.kind, t.sector, t.org_level) for t in matter.targets] == [
            ("organisation", "party_committee", "committee_level"),
            ("organisation", "discipline_body", "committee_level"),
        ]
        assert all(t.name.startswith(UNIT) for t in matter.targets)
        assert first.number in matter.facts and second.number in matter.facts
        assert ARTICLE in matter.acceptance["reason"]

        # Restarted: a new process knows nothing but what the database holds.
        async with running(place) as (service, uow):
            third = decision(on=today, sanction="probation", name="丙")
            await deliver(service, third)
            assert [m.id for m in await opened(uow)] == [matter.id]
            [firing] = await read(uow, TriggerFiring)
            entries = await read(uow, TimelineEntry, TimelineEntry.matter_id == matter.id)
            accepted = await read(uow, OutboxRecord, OutboxRecord.subject == "intake.hubei.matter.accepted.v1")

        assert (firing.organisation, firing.trigger, firing.window_start, firing.matter_id) == (
            UNIT,
            "leading_group_members_sanctioned",
            first_day,
            matter.id,
        )
        assert {d["decision_id"] for d in firing.counted} == {str(first.decision_id), str(second.decision_id)}
        assert f"{ARTICLE}（四）" in firing.citations
        [opening] = [e for e in entries if e.action == "opened_by_rule"]
        assert opening.detail["triggers"] == ["leading_group_members_sanctioned"]
        assert {d["matter_id"] for d in opening.detail["decisions"]} == {str(first.matter_id), str(second.matter_id)}
        assert [e.action for e in entries][-1] == "acceptance_decided"
        [event] = [json.loads(r.payload) for r in accepted]
        assert event["matter_id"] == matter.id and event["source"] == "dual_investigation"

    asyncio.run(scenario())


def test_what_does_not_make_the_trigger(place: Place) -> None:
    first_day, today = this_year()
    last_year = dt.date(first_day.year - 1, 12, 31)

    async def scenario() -> None:
        async with running(place) as (service, uow):
            await deliver(
                service,
                decision(on=today),
                # Below removal from party post.
                decision(on=today, sanction="serious_warning"),
                # Not on the leading group.
                decision(on=today, member=False),
                # Another year.
                decision(on=last_year),
                # Another organisation.
                decision(on=today, unit="某县财政局"),
                # No party sanction at all.
                decision(on=today, sanction=None),
            )
            assert await opened(uow) == []

    asyncio.run(scenario())


def test_third_major_case_in_a_unit_opens_the_matter_once(place: Place) -> None:
    first_day, today = this_year()

    async def scenario() -> None:
        async with running(place) as (service, uow):
            cases = [decision(sanction=None, member=False, on=today, major_case=True) for _ in range(2)]
            # Two targets of one major case are one case.
            two_targets = decision(sanction=None, member=False, on=first_day, major_case=True)
            two_targets = two_targets.model_copy(update={"measures": [*two_targets.measures, *two_targets.measures]})
            await deliver(service, cases[0], two_targets)
            assert await opened(uow) == []
            await deliver(service, cases[1])
            [matter] = await opened(uow)
            # A fourth in the year opens nothing new.
            await deliver(service, decision(sanction=None, member=False, on=today, major_case=True))
            assert [m.id for m in await opened(uow)] == [matter.id]
            [firing] = await read(uow, TriggerFiring)
        assert firing.trigger == "major_cases_in_year" and firing.matter_id == matter.id
        assert f"{ARTICLE}（五）" in firing.citations

    asyncio.run(scenario())


def test_two_decisions_counted_at_once_still_fire(place: Place) -> None:
    """Each decision's transaction sees the other's only once it has committed; the
    organisation's lock orders them, so the second sees both and fires."""
    if place.url.startswith("sqlite"):
        pytest.skip("SQLite writes one transaction at a time")
    _, today = this_year()

    async def scenario() -> None:
        async with running(place) as (service, uow):
            async with running(place) as (other, _):
                await asyncio.gather(
                    deliver(service, decision(on=today, name="甲")), deliver(other, decision(on=today, name="乙"))
                )
            assert len(await opened(uow)) == 1

    asyncio.run(scenario())


def chosen(reading: str, effective_from: dt.date, version: int = 1) -> InterpretationReadingChosen:
    return InterpretationReadingChosen(
        tenant=TENANT,
        point="dual_investigation_year",
        reading=reading,
        effective_from=effective_from,
        choice_version=version,
        chosen_by="hb-responsibility-office",
        reason="常委会研究决定",
    )


def test_the_chosen_reading_of_the_year_applies_from_its_date_and_fires_once_per_window(place: Place) -> None:
    """Hubei's 年度内 read as the twelve months ending on the decision, from the day the
    administrator chose: removals on 20 December and 10 January then meet; before, they do not;
    a later decision inside the same rolling year opens nothing more."""
    december, january = dt.date(2025, 12, 20), dt.date(2026, 1, 10)
    switched = dt.date(2026, 1, 5)

    async def scenario() -> None:
        async with running(place) as (service, uow):
            learn = InterpretationLearner(uow, INTERPRETATION_CONSUMER)
            # The calendar year, the pack's default: last December's removal is another year.
            await deliver(service, decision(on=december, name="甲", unit="某县林业局"))
            await deliver(service, decision(on=dt.date(2026, 1, 3), name="乙", unit="某县林业局"))
            assert await opened(uow) == [], "two years' removals do not meet under the calendar reading"

            event = chosen("rolling_year", switched)
            with tenant_scope(TENANT):
                await learn.learn(event)
                await learn.learn(event)  # redelivered: kept once
            [kept] = await read(uow, InterpretationReading)
            assert (kept.point, kept.reading, kept.effective_from, kept.version) == (
                "dual_investigation_year",
                "rolling_year",
                switched,
                1,
            )

            first, second = decision(on=december, name="丙"), decision(on=january, sanction="expulsion", name="丁")
            await deliver(service, first)
            await deliver(service, second)
            [matter] = await opened(uow)
            # Within the same rolling year the trigger has fired: nothing new is opened.
            await deliver(service, decision(on=dt.date(2026, 2, 1), sanction="probation", name="戊"))
            assert [m.id for m in await opened(uow)] == [matter.id]
            [firing] = await read(uow, TriggerFiring, TriggerFiring.organisation == UNIT)
            entries = await read(uow, TimelineEntry, TimelineEntry.matter_id == matter.id)

        assert first.number in matter.facts and second.number in matter.facts
        assert "dual_investigation_year" in matter.facts and "rolling_year" in matter.facts
        assert (firing.window_start, firing.window_end, firing.fired_on) == (
            dt.date(2025, 1, 11),
            dt.date(2026, 1, 11),
            january,
        )
        [opening] = [e for e in entries if e.action == "opened_by_rule"]
        assert opening.detail["interpretations"] == [
            {
                "point": "dual_investigation_year",
                "reading": "rolling_year",
                "label": "决定作出之日前推十二个月",
                "default": False,
            }
        ]
        assert opening.detail["window"] == {"start": "2025-01-11", "end": "2026-01-11"}

    asyncio.run(scenario())
