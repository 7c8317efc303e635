from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.auth.access import MatterAccess, ReadScope
from wenze.db.base import insert_rows, table_of, utcnow
from wenze.db.numbering import reserve_numbers
from wenze_sanction_execution.executions.access import LEVEL, OFFICE, UNIT, facts_of
from wenze_sanction_execution.executions.models import (
    DEADLINES,
    EXECUTIONS,
    OPEN_DEADLINES,
    STEPS,
    Deadline,
    DeadlineState,
    Execution,
    ExecutionAccess,
    ExecutionStep,
)

ACCESS = table_of(ExecutionAccess)


def visible_to(scope: ReadScope) -> ColumnElement[bool]:
    """The read rule (``wenze.auth.access.visible``) as a condition on ``executions``."""
    if scope.integrator is not None:
        return false()

    def has(facet: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(ACCESS.c.execution_id == Execution.id, ACCESS.c.facet == facet, condition)

    party = has(OFFICE, ACCESS.c.value == scope.office) if scope.office is not None else false()
    within_authority = ~has(LEVEL, ACCESS.c.value.not_in(sorted(scope.authority)))
    reach = true() if scope.oversees else has(UNIT, ACCESS.c.value.in_(sorted(scope.linked_units)))
    return or_(party, and_(within_authority, reach))


class ExecutionRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, rows: Sequence[Any]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def grant(self, execution: Execution, access: MatterAccess) -> None:
        rows = [
            {"execution_id": execution.id, "tenant": execution.tenant, "facet": facet, "value": value}
            for facet, value in facts_of(access)
        ]
        await insert_rows(self.session, ACCESS, rows)

    async def access(self, execution: Execution) -> MatterAccess:
        rows = (
            await self.session.execute(
                select(ACCESS.c.facet, ACCESS.c.value).where(ACCESS.c.execution_id == execution.id)
            )
        ).all()
        values: dict[str, list[str]] = {OFFICE: [], LEVEL: [], UNIT: []}
        for facet, value in rows:
            values[facet].append(value)
        return MatterAccess.of(offices=values[OFFICE], levels=values[LEVEL], units=values[UNIT])

    async def exists_for(self, tenant: str, decision_id: str, person_id: str, measure: str) -> bool:
        found = await self.session.scalar(
            select(Execution.id).where(
                Execution.tenant == tenant,
                Execution.decision_id == decision_id,
                Execution.person_id == person_id,
                Execution.measure == measure,
            )
        )
        return found is not None

    async def get(self, tenant: str, execution_id: str) -> Execution | None:
        return await self.session.scalar(
            select(Execution).where(Execution.tenant == tenant, Execution.id == execution_id)
        )

    async def of_decision(self, tenant: str, decision_id: str, person_id: str | None = None) -> list[Execution]:
        stmt = select(Execution).where(Execution.tenant == tenant, Execution.decision_id == decision_id)
        if person_id is not None:
            stmt = stmt.where(Execution.person_id == person_id)
        return list(await self.session.scalars(stmt.order_by(Execution.created_at, Execution.id)))

    async def of_person(self, tenant: str, person_id: str) -> list[Execution]:
        stmt = select(Execution).where(Execution.tenant == tenant, Execution.person_id == person_id)
        return list(await self.session.scalars(stmt.order_by(Execution.decided_on, Execution.created_at)))

    async def list_visible(
        self,
        tenant: str,
        scope: ReadScope,
        *,
        decision_id: str | None,
        matter_id: str | None,
        person_id: str | None,
        state: str | None,
        limit: int,
    ) -> list[Execution]:
        stmt = select(Execution).where(Execution.tenant == tenant, visible_to(scope))
        if decision_id is not None:
            stmt = stmt.where(Execution.decision_id == decision_id)
        if matter_id is not None:
            stmt = stmt.where(Execution.matter_id == matter_id)
        if person_id is not None:
            stmt = stmt.where(Execution.person_id == person_id)
        if state is not None:
            stmt = stmt.where(Execution.state == state)
        return list(await self.session.scalars(stmt.order_by(Execution.created_at, Execution.id).limit(limit)))

    async def any_visible(self, tenant: str, scope: ReadScope, person_id: str) -> bool:
        found = await self.session.scalar(
            select(Execution.id)
            .where(Execution.tenant == tenant, Execution.person_id == person_id, visible_to(scope))
            .limit(1)
        )
        return found is not None

    async def steps(self, execution_ids: Sequence[str]) -> list[ExecutionStep]:
        if not execution_ids:
            return []
        stmt = select(ExecutionStep).where(ExecutionStep.execution_id.in_(list(execution_ids)))
        return list(await self.session.scalars(stmt.order_by(ExecutionStep.execution_id, ExecutionStep.position)))

    async def deadlines(self, execution_ids: Sequence[str]) -> list[Deadline]:
        if not execution_ids:
            return []
        stmt = select(Deadline).where(Deadline.execution_id.in_(list(execution_ids)))
        return list(await self.session.scalars(stmt.order_by(Deadline.due_on, Deadline.id)))

    async def move(self, execution: Execution, action: str, **values: Any) -> None:
        await EXECUTIONS.move(
            self.session,
            execution,
            action,
            unchanged=("revision",),
            revision=execution.revision + 1,
            updated_at=utcnow(),
            **values,
        )

    async def reserve_numbers(self, tenant: str, kind: str, year: int, count: int = 1) -> range:
        return await reserve_numbers(self.session, tenant, kind, year, count)

    async def complete_step(self, step: ExecutionStep, **values: Any) -> None:
        await STEPS.move(self.session, step, "complete", **values)

    async def move_deadline(self, deadline: Deadline, action: str, **values: Any) -> None:
        await DEADLINES.move(self.session, deadline, action, **values)

    # -- the scheduler ------------------------------------------------------------------------

    async def claim_to_remind(self, tenant: str, today: dt.date, limit: int) -> list[Deadline]:
        """Pending deadlines within their lead time and not yet passed, locked for this
        transaction; rows another scheduler holds are skipped, not waited for."""
        stmt = (
            select(Deadline)
            .where(
                Deadline.tenant == tenant,
                DEADLINES.can_move("remind", Deadline.state),
                Deadline.remind_on <= today,
                Deadline.due_on >= today,
            )
            .order_by(Deadline.due_on, Deadline.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self.session.scalars(stmt))

    async def claim_missed(self, tenant: str, today: dt.date, limit: int) -> list[Deadline]:
        stmt = (
            select(Deadline)
            .where(Deadline.tenant == tenant, DEADLINES.can_move("miss", Deadline.state), Deadline.due_on < today)
            .order_by(Deadline.due_on, Deadline.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self.session.scalars(stmt))

    async def open_deadlines_of(self, tenant: str, office: str, limit: int) -> list[Deadline]:
        stmt = (
            select(Deadline)
            .where(Deadline.tenant == tenant, Deadline.office == office, Deadline.state.in_(OPEN_DEADLINES))
            .order_by(Deadline.due_on, Deadline.id)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    async def executions_by_id(self, ids: Sequence[str]) -> dict[str, Execution]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Execution).where(Execution.id.in_(list(set(ids)))))
        return {row.id: row for row in rows}

    @staticmethod
    def unfinished(deadlines: Sequence[Deadline]) -> list[Deadline]:
        return [d for d in deadlines if d.state in (*OPEN_DEADLINES, DeadlineState.SUSPENDED)]
