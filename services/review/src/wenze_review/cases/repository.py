from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.auth.access import ReadScope
from wenze.db.base import Base
from wenze.events.intake import TargetSnapshot
from wenze_review.access.repository import party_to, visible_to
from wenze_review.cases.models import (
    CASES,
    INVESTIGATIONS,
    Case,
    CaseState,
    DecidedPerson,
    Decision,
    Hearing,
    Investigation,
    InvestigationState,
    Recommendation,
)
from wenze_review.logic import PriorDecision


class CaseRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, *rows: Base) -> None:
        """Write ``rows`` now, in this order (a case before its investigation, a decision before its persons)."""
        for row in rows:
            self.session.add(row)
            await self.session.flush()

    async def has_case_of_slip(self, tenant: str, slip_id: str) -> bool:
        stmt = select(Case.id).where(Case.tenant == tenant, Case.slip_id == slip_id)
        return (await self.session.scalar(stmt)) is not None

    async def of_slip(self, tenant: str, slip_id: str) -> Case | None:
        """The case of a slip, locked: a second event of the slip changes it, if anything."""
        stmt = select(Case).where(Case.tenant == tenant, Case.slip_id == slip_id).with_for_update()
        return await self.session.scalar(stmt)

    async def get(self, tenant: str, case_id: str, *, for_update: bool = False) -> Case | None:
        stmt = select(Case).where(Case.tenant == tenant, Case.id == case_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def by_matter(
        self, tenant: str, matter_id: str | None, limit: int, scope: ReadScope, *, party_office: str | None = None
    ) -> list[Case]:
        """The tenant's cases (of one matter) that ``scope`` may read, oldest first; with
        ``party_office``, only those of matters that office is party to."""
        stmt = select(Case).where(Case.tenant == tenant, visible_to(scope, Case.tenant, Case.matter_id))
        if matter_id is not None:
            stmt = stmt.where(Case.matter_id == matter_id)
        if party_office is not None:
            stmt = stmt.where(party_to(party_office, Case.tenant, Case.matter_id))
        return list((await self.session.scalars(stmt.order_by(Case.created_at, Case.id).limit(limit))).all())

    async def move_case(self, case: Case, action: str, *, detail: str | None = None, **values: Any) -> CaseState:
        return await CASES.move(self.session, case, action, detail=detail, **values)

    async def investigation(
        self, tenant: str, *, investigation_id: str | None = None, case_id: str | None = None
    ) -> Investigation | None:
        stmt = select(Investigation).where(Investigation.tenant == tenant)
        if investigation_id is not None:
            stmt = stmt.where(Investigation.id == investigation_id)
        if case_id is not None:
            stmt = stmt.where(Investigation.case_id == case_id)
        return await self.session.scalar(stmt)

    async def move_investigation(
        self, investigation: Investigation, action: str, *, detail: str | None = None, **values: Any
    ) -> InvestigationState:
        return await INVESTIGATIONS.move(self.session, investigation, action, detail=detail, **values)

    async def recommendations(self, case_id: str) -> list[Recommendation]:
        stmt = select(Recommendation).where(Recommendation.case_id == case_id).order_by(Recommendation.target_index)
        return list((await self.session.scalars(stmt)).all())

    async def put_recommendation(self, recommendation: Recommendation) -> None:
        """Record the recommendation for its target, in place of an earlier one for the same target."""
        earlier = await self.session.scalar(
            select(Recommendation).where(
                Recommendation.case_id == recommendation.case_id,
                Recommendation.target_index == recommendation.target_index,
            )
        )
        if earlier is None:
            self.session.add(recommendation)
        else:
            for column in Recommendation.__table__.columns.keys():
                if column != "id":
                    setattr(earlier, column, getattr(recommendation, column))
        await self.session.flush()

    async def hearings(self, case_id: str) -> list[Hearing]:
        stmt = select(Hearing).where(Hearing.case_id == case_id).order_by(Hearing.recorded_at)
        return list((await self.session.scalars(stmt)).all())

    async def decision(self, case_id: str) -> Decision | None:
        return await self.session.scalar(select(Decision).where(Decision.case_id == case_id))

    async def earlier_decisions(
        self, tenant: str, name: str, unit: str | None, person_ref: str | None = None
    ) -> list[PriorDecision]:
        """The person's decisions that still stand: those revoked on appeal are left out."""
        stmt = select(DecidedPerson.decision_number, DecidedPerson.decided_on).where(
            DecidedPerson.tenant == tenant, _same_person(name, unit, person_ref), DecidedPerson.revoked_on.is_(None)
        )
        return [PriorDecision(number, decided_on) for number, decided_on in (await self.session.execute(stmt)).all()]

    async def revoke_for_person(
        self, tenant: str, decision_id: str, target: TargetSnapshot, revoked_on: dt.date
    ) -> int:
        """Mark the person's part in a decision revoked, once; the number of rows it changed."""
        stmt = (
            update(DecidedPerson)
            .where(
                DecidedPerson.tenant == tenant,
                DecidedPerson.decision_id == decision_id,
                _same_person(target.name or "", target.unit, target.person_ref),
                DecidedPerson.revoked_on.is_(None),
            )
            .values(revoked_on=revoked_on)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)


def _same_person(name: str, unit: str | None, person_ref: str | None) -> ColumnElement[bool]:
    """The rows of one person: by reference where the target has one (whatever unit it names);
    otherwise by name and unit among the rows that have no reference either, as
    sanction-execution tells persons apart (ADR 0044)."""
    if person_ref is not None:
        return DecidedPerson.person_ref == person_ref
    return and_(
        DecidedPerson.person_ref.is_(None),
        DecidedPerson.name == name,
        DecidedPerson.unit.is_(None) if unit is None else DecidedPerson.unit == unit,
    )
