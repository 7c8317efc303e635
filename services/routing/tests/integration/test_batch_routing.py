"""A batch of accepted matters routed in one pass, on both databases the platform runs on: the
matters of one batch that ask the rules the same question get the same answer, which is the
answer a matter routed on its own gets, and their slips are numbered in event order."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from wenze.db import UnitOfWorkFactory
from wenze.events import MatterAccepted, TargetSnapshot
from wenze_routing.repositories import RoutingRepositories
from wenze_routing.slips.schemas import SlipRead
from wenze_routing.slips.service import RoutingService

from .support import LEADER, routing_for

pytestmark = pytest.mark.integration

# What the rules decide: equal for slips that asked the same question.
RULED = ("state", "procedure", "handler", "cc", "fixed_by", "opinion", "outcome", "explanation", "citations")


@pytest.fixture
def routing(units_of_work: UnitOfWorkFactory[RoutingRepositories]) -> RoutingService:
    return routing_for(units_of_work)


def accepted(name: str, cadre_level: str) -> MatterAccepted:
    return MatterAccepted(
        tenant="kunshan",
        matter_id=uuid.uuid4(),
        number=f"KS-2026-{uuid.uuid4().int % 99999:05d}",
        source="city_government",
        summary=f"{name}所在镇落实整改不力",
        facts="群众反映整改不到位。",
        key_supervised=False,
        proposed_form="form_2",
        targets=[
            TargetSnapshot(kind="person", name=name, cadre_level=cadre_level, sector="district_town", unit="玉山镇")
        ],
        relevant_date=dt.date(2026, 4, 30),
        study_date=dt.date(2026, 4, 30),
        participants=["甲", "乙"],
        accepted_by="ks-intake",
    )


async def slip_of(routing: RoutingService, event: MatterAccepted) -> SlipRead:
    (slip,) = await routing.list_slips(LEADER, str(event.matter_id), None, 10)
    return slip


def ruled(slip: SlipRead) -> dict:
    return {name: getattr(slip, name) for name in RULED}


async def test_a_batch_answers_each_question_once_as_a_matter_alone_is_answered(routing: RoutingService) -> None:
    batch = [
        accepted("刘洋", "not_city_managed"),
        accepted("张明", "city_managed"),  # one fact differs: a consultation
        accepted("王芳", "not_city_managed"),
    ]
    await routing.route_accepted_batch(batch)
    alone = accepted("陈立", "not_city_managed")
    await routing.route_accepted(alone)

    first, city_managed, third = [await slip_of(routing, event) for event in batch]
    assert ruled(first) == ruled(third) == ruled(await slip_of(routing, alone))
    assert first.state == "routed" and first.explanation
    assert city_managed.state == "in_consultation" and city_managed.explanation != first.explanation
    # Each slip keeps its own matter and target, and the numbers follow the events.
    assert [s.targets[0]["name"] for s in (first, city_managed, third)] == ["刘洋", "张明", "王芳"]
    seqs = [int(s.number.split("〕")[1].removesuffix("号")) for s in (first, city_managed, third)]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
