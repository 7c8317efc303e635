"""State machines: of concurrent requests that read the same state, exactly one moves it.

Run against both databases the platform uses: a SQLite file (the embedded default, where
``FOR UPDATE`` locks nothing) and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db import Base
from wenze.db.base import table_of
from wenze.db.states import StateMachine, TransitionRefused
from wenze.problems import Conflict

from .support import BACKENDS, engine_holding

pytestmark = pytest.mark.integration

ATTEMPTS = 12


class DoorState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    LOCKED = "locked"


class Door(Base):
    __tablename__ = "test_state_doors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    opened_by: Mapped[str | None] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(default=0)


class DoorBusy(Conflict):
    slug = "door-busy"
    title = "The door is busy"


DOORS = StateMachine(
    "door",
    DoorState,
    {
        "open": (DoorState.CLOSED, DoorState.OPEN),
        "lock": (DoorState.CLOSED, DoorState.LOCKED),
        "close": ([DoorState.OPEN, DoorState.LOCKED], DoorState.CLOSED),
        "hold": (DoorState.OPEN, DoorState.OPEN),
    },
    refusal=DoorBusy,
    stays={"hand_over": [DoorState.CLOSED, DoorState.OPEN]},
)


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_holding(table_of(Door), "doors", request.param, tmp_path, database_url) as engine:
        yield engine


async def test_concurrent_moves_of_one_row_let_exactly_one_through(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        session.add(Door(id="d1", state=DoorState.CLOSED))
        await session.commit()

    # Within the connection pool's limits, so that all of them hold a connection at once.
    everyone_has_read = asyncio.Barrier(ATTEMPTS)

    async def attempt(index: int) -> str:
        action = "open" if index % 2 else "lock"
        async with sessions() as session:
            door = await session.get(Door, "d1")
            assert door is not None and door.state == DoorState.CLOSED
            await everyone_has_read.wait()
            try:
                await DOORS.move(session, door, action, opened_by=f"user-{index}")
            except DoorBusy:
                await session.rollback()
                return "refused"
            await session.commit()
            return action

    outcomes = await asyncio.gather(*(attempt(i) for i in range(ATTEMPTS)))

    assert outcomes.count("refused") == ATTEMPTS - 1
    async with sessions() as session:
        door = await session.scalar(select(Door))
    assert door is not None
    winner = next(o for o in outcomes if o != "refused")
    assert door.state == DOORS.transition(winner).target
    assert door.opened_by is not None


async def test_concurrent_moves_that_keep_the_state_let_exactly_one_through_on_an_unchanged_revision(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        session.add(Door(id="d3", state=DoorState.OPEN))
        await session.commit()
    everyone_has_read = asyncio.Barrier(ATTEMPTS)

    async def attempt(index: int) -> bool:
        async with sessions() as session:
            door = await session.get(Door, "d3")
            assert door is not None
            await everyone_has_read.wait()
            try:
                values = {"revision": door.revision + 1, "opened_by": str(index)}
                await DOORS.move(session, door, "hold", unchanged=("revision",), **values)
            except DoorBusy:
                await session.rollback()
                return False
            await session.commit()
            return True

    outcomes = await asyncio.gather(*(attempt(i) for i in range(ATTEMPTS)))

    assert outcomes.count(True) == 1
    async with sessions() as session:
        door = await session.get(Door, "d3")
    assert door is not None and door.revision == 1
    assert door.opened_by == str(outcomes.index(True))


async def test_a_move_from_a_state_the_table_does_not_allow_is_refused_with_the_aggregates_problem(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        door = Door(id="d2", state=DoorState.LOCKED)
        session.add(door)
        await session.commit()
        with pytest.raises(DoorBusy) as refused:
            await DOORS.move(session, door, "open")
        assert refused.value.extra == {"state": "locked", "action": "open"}
        assert await DOORS.move(session, door, "close") == DoorState.CLOSED
        await session.commit()
        assert door.state == DoorState.CLOSED
        assert (await session.scalar(select(Door.state).where(Door.id == "d2"))) == "closed"


def test_the_default_refusal_is_a_409_and_unknown_actions_are_programming_errors() -> None:
    machine = StateMachine("door", DoorState, {"open": (DoorState.CLOSED, DoorState.OPEN)})
    with pytest.raises(TransitionRefused) as refused:
        machine.check("open", "locked")
    assert refused.value.status_code == 409
    assert "must be closed" in str(refused.value.detail)
    with pytest.raises(ValueError, match="no action 'paint'"):
        machine.check("paint", "closed")


async def test_an_action_that_stays_keeps_each_state_it_starts_from_and_is_refused_from_others(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        session.add_all(
            [
                Door(id="closed", state=DoorState.CLOSED),
                Door(id="open", state=DoorState.OPEN),
                Door(id="locked", state=DoorState.LOCKED),
            ]
        )
        await session.commit()
    async with sessions() as session:
        for door_id in ("closed", "open"):
            door = await session.get_one(Door, door_id)
            before = door.state
            assert await DOORS.move(session, door, "hand_over", opened_by="keeper") == before
        locked = await session.get_one(Door, "locked")
        with pytest.raises(DoorBusy) as refused:
            await DOORS.move(session, locked, "hand_over", opened_by="keeper")
        assert "closed or open" in refused.value.detail
        await session.commit()
    async with sessions() as session:
        rows = (await session.execute(select(Door.id, Door.state, Door.opened_by).order_by(Door.id))).all()
    assert [tuple(r) for r in rows] == [
        ("closed", "closed", "keeper"),
        ("locked", "locked", None),
        ("open", "open", "keeper"),
    ]
    assert DOORS.allows("hand_over", DoorState.OPEN) and not DOORS.allows("hand_over", DoorState.LOCKED)
    with pytest.raises(ValueError):
        StateMachine("door", DoorState, {"open": (DoorState.CLOSED, DoorState.OPEN)}, stays={"open": DoorState.OPEN})
