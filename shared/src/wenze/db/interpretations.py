"""Each service's copy of the tenant's chosen readings of interpretation points.

Routing records a tenant administrator's choice and publishes
``routing.<tenant>.interpretation.chosen.v1``; every service that evaluates a decision naming
a point keeps the choices in its own schema (one row per version, never rewritten) and asks
:func:`wenze.rules.readings.readings_in_force` for the reading on the matter's date, so the
same matter is read the same way wherever it is evaluated (docs/adr/0034-interpretation-points.md).
The table, its repository and the learning consumer are the same in every service; only the
durable consumer's name differs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import Date, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, utcnow
from wenze.db.inbox import InboxRepository
from wenze.db.tenancy import disable_tenant_rls, tenant_policy_sql
from wenze.db.uow import UnitOfWorkFactory
from wenze.events import InterpretationReadingChosen
from wenze.messaging.consumer import ConsumerSpec
from wenze.rules.readings import ReadingChoice, readings_in_force


class InterpretationReading(Base):
    __tablename__ = "interpretation_readings"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    point: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reading: Mapped[str] = mapped_column(String(80))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    learnt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InterpretationRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def choices(self, tenant: str) -> list[ReadingChoice]:
        stmt = select(
            InterpretationReading.point,
            InterpretationReading.reading,
            InterpretationReading.effective_from,
            InterpretationReading.version,
        ).where(InterpretationReading.tenant == tenant)
        return [ReadingChoice(*row) for row in await self.session.execute(stmt)]

    async def readings_on(self, tenant: str, on: dt.date) -> dict[str, str]:
        """Point → the reading the tenant chose for ``on``; points left out read by default."""
        return readings_in_force(await self.choices(tenant), on)

    async def learn(self, tenant: str, point: str, version: int, reading: str, effective_from: dt.date) -> None:
        """Keep the choice; a version already kept stays as it is (a choice is never rewritten)."""
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        values = {
            "tenant": tenant,
            "point": point,
            "version": version,
            "reading": reading,
            "effective_from": effective_from,
            "learnt_at": utcnow(),
        }
        await self.session.execute(insert(InterpretationReading).values(values).on_conflict_do_nothing())


class _Repositories(Protocol):
    inbox: InboxRepository
    interpretations: InterpretationRepository


class InterpretationLearner:
    """Keeps routing's ``interpretation.chosen`` events, once each (the inbox), in the service's
    ``interpretation_readings``; ``consumer`` is the inbox's and the durable consumer's name."""

    def __init__(self, uow: UnitOfWorkFactory[Any], consumer: str):
        self.uow = uow
        self.consumer = consumer

    async def learn(self, event: InterpretationReadingChosen) -> None:
        async with self.uow() as uow:
            repos: _Repositories = uow.repos
            if await repos.inbox.seen(str(event.event_id), self.consumer):
                return
            repos.inbox.record(str(event.event_id), self.consumer, event.subject)
            await repos.interpretations.learn(
                event.tenant, event.point, event.choice_version, event.reading, event.effective_from
            )
            await uow.commit()

    def spec(self) -> ConsumerSpec[Any]:
        return ConsumerSpec.for_event(self.consumer, InterpretationReadingChosen, self.learn)


def create_readings_table(op: Any) -> None:
    """The migration step creating ``interpretation_readings`` under row-level security, the
    same in every service that keeps a copy (intake's revision 0011 created its own first)."""
    op.create_table(
        "interpretation_readings",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("point", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reading", sa.String(length=80), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("learnt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "point", "version", name=op.f("pk_interpretation_readings")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in tenant_policy_sql("interpretation_readings"):
            op.execute(statement)


def drop_readings_table(op: Any) -> None:
    disable_tenant_rls(op, ["interpretation_readings"])
    op.drop_table("interpretation_readings")
