"""Slip states through the service, on both databases the platform runs on: every change is a
move of the slip's state machine, and of moves racing for one slip exactly one wins."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.events import ConsultationConcluded, MatterAccepted, TargetSnapshot
from wenze_routing.repositories import RoutingRepositories, make_repositories
from wenze_routing.slips.errors import SlipStateConflict
from wenze_routing.slips.repository import SlipRepository
from wenze_routing.slips.service import RoutingService

from .support import LEADER, routing_for

pytestmark = pytest.mark.integration

RACERS = 6
OFFICES = ["discipline_supervision_office", "case_management_office", "party_conduct_office", "case_trial_office"]


def accepted(target: TargetSnapshot) -> MatterAccepted:
    return MatterAccepted(
        tenant="kunshan",
        matter_id=uuid.uuid4(),
        number=f"KS-2026-{uuid.uuid4().int % 99999:05d}",
        source="city_government",
        summary="某局落实整改不力",
        facts="群众反映整改不到位。",
        key_supervised=False,
        proposed_form="form_2",
        targets=[target],
        relevant_date=dt.date(2026, 4, 30),
        study_date=dt.date(2026, 4, 30),
        participants=["甲", "乙"],
        accepted_by="ks-intake",
    )


async def routed_slip(routing: RoutingService, target: TargetSnapshot) -> str:
    event = accepted(target)
    await routing.route_accepted(event)
    (slip,) = await routing.list_slips(LEADER, str(event.matter_id), None, 10)
    return slip.id


TOWN_CADRE = TargetSnapshot(
    kind="person", name="刘洋", cadre_level="not_city_managed", sector="district_town", unit="玉山镇"
)
CITY_CADRE = TargetSnapshot(kind="person", name="张明", cadre_level="city_managed", sector="city_department")


async def test_of_concurrent_overrides_exactly_one_wins(units_of_work: UnitOfWorkFactory[RoutingRepositories]) -> None:
    routing = routing_for(units_of_work)
    slip_id = await routed_slip(routing, TOWN_CADRE)
    everyone_has_read = asyncio.Barrier(RACERS)

    class ReadTogether(SlipRepository):
        """Lets the racers go on only once every one of them has read the slip."""

        async def get(self, tenant: str, slip_id: str):  # type: ignore[override]
            slip = await super().get(tenant, slip_id)
            await everyone_has_read.wait()
            return slip

    def racing_repositories(session: AsyncSession) -> RoutingRepositories:
        repositories = make_repositories(session)
        repositories.slips = ReadTogether(session)
        return repositories

    racing = routing_for(UnitOfWorkFactory(units_of_work.engine, racing_repositories))

    async def override(index: int) -> str | None:
        handler = OFFICES[index % len(OFFICES)]
        try:
            await racing.override(LEADER, slip_id, handler, f"第{index}次调整", None)
        except SlipStateConflict:
            return None
        return handler

    outcomes = await asyncio.wait_for(asyncio.gather(*(override(i) for i in range(RACERS))), timeout=60)

    winners = [handler for handler in outcomes if handler is not None]
    assert len(winners) == 1, outcomes
    slip = await routing.get(LEADER, slip_id)
    assert (slip.state, slip.handler, slip.fixed_by) == ("routed", winners[0], "override")
    actions = [e.action for e in await routing.timeline(LEADER, slip_id)]
    assert actions == ["opened", "routed_by_override"]


async def test_a_routed_slip_can_be_overridden_again_one_after_the_other(
    units_of_work: UnitOfWorkFactory[RoutingRepositories],
) -> None:
    routing = routing_for(units_of_work)
    slip_id = await routed_slip(routing, TOWN_CADRE)
    for handler in OFFICES[:2]:
        await routing.override(LEADER, slip_id, handler, "联系单位调整", None)
    timeline = await routing.timeline(LEADER, slip_id)
    assert [(e.action, e.detail.get("previous_handler")) for e in timeline] == [
        ("opened", None),
        ("routed_by_override", "district_town_commission"),
        ("routed_by_override", OFFICES[0]),
    ]


async def test_a_consultation_concluding_after_an_override_changes_nothing(
    units_of_work: UnitOfWorkFactory[RoutingRepositories],
) -> None:
    routing = routing_for(units_of_work)
    slip_id = await routed_slip(routing, CITY_CADRE)
    assert (await routing.get(LEADER, slip_id)).state == "in_consultation"
    await routing.override(LEADER, slip_id, "case_trial_office", "领导指定", None)

    slip = await routing.get(LEADER, slip_id)
    await routing.conclude_consultation(
        ConsultationConcluded(
            tenant="kunshan",
            matter_id=uuid.UUID(slip.matter_id),
            consultation_id=uuid.uuid4(),
            slip_id=uuid.UUID(slip_id),
            handler="discipline_supervision_office",
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
        )
    )

    slip = await routing.get(LEADER, slip_id)
    assert (slip.handler, slip.fixed_by) == ("case_trial_office", "override")
    # The handler stays the override's; the timeline says why the consultation's was not taken.
    timeline = await routing.timeline(LEADER, slip_id)
    assert [e.action for e in timeline] == ["opened", "routed_by_override", "consultation_set_aside"]
    assert timeline[-1].detail["kept"] == "case_trial_office"
    assert timeline[-1].detail["handler"] == "discipline_supervision_office"
