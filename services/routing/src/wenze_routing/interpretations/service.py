"""The tenant's choice among the readings of its pack's interpretation points, on the record.

A choice is made by a holder of ``rules:admin`` for the caller's tenant, effective from a
date no earlier than the tenant's today: a matter already evaluated keeps the outcome it got,
and a reading cannot be put in force for days already past. Each choice is a new version,
written to the audit log and published (``routing.<tenant>.interpretation.chosen.v1``) so that
the services evaluating the point read it the same way (``wenze.rules.readings``).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import IntegrityError

from wenze.auth import Principal
from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.events import InterpretationReadingChosen
from wenze.problems import Conflict, NotFound, invalid
from wenze.rules import RulePack
from wenze.rules.models import InterpretationPoint
from wenze.rules.readings import ReadingChoice, readings_in_force
from wenze_routing.audit import by_caller
from wenze_routing.interpretations.models import InterpretationChoice
from wenze_routing.interpretations.schemas import (
    PointRead,
    PointsRead,
    ReadingChoiceCreate,
    ReadingChoiceRead,
    ReadingInForce,
)
from wenze_routing.repositories import RoutingRepositories
from wenze_routing.rules.service import RulesService

logger = logging.getLogger(__name__)


class PointNotFound(NotFound):
    slug = "interpretation-point-not-found"
    title = "No such interpretation point in the tenant's pack"


class ChoiceConflict(Conflict):
    slug = "interpretation-choice-conflict"
    title = "Another choice for the point was recorded at the same moment"


def _as_choices(rows: list[InterpretationChoice]) -> list[ReadingChoice]:
    return [ReadingChoice(r.point, r.reading, r.effective_from, r.version) for r in rows]


class InterpretationService:
    def __init__(self, uow: UnitOfWorkFactory[RoutingRepositories]) -> None:
        self.uow = uow
        self.rules = RulesService()

    async def readings_on(self, tenant: str, on: dt.date) -> dict[str, str]:
        """Point → the reading the tenant chose for ``on``, for the points it chose at all."""
        async with self.uow() as uow:
            # Read inside the unit of work: leaving it expires what it loaded.
            choices = _as_choices(await uow.repos.interpretations.choices(tenant))
        return readings_in_force(choices, on)

    async def points(self, principal: Principal, on: dt.date | None) -> PointsRead:
        pack = self.rules.pack(principal.tenant)
        day = on or pack.today()
        async with self.uow() as uow:
            history = [
                ReadingChoiceRead.model_validate(r) for r in await uow.repos.interpretations.choices(principal.tenant)
            ]
        read = [_point_read(point, history, day) for point in pack.points]
        return PointsRead(
            tenant=principal.tenant,
            on=day,
            points=read,
            readings={p.id: p.in_force.reading for p in read},
        )

    async def point(self, principal: Principal, point_id: str, on: dt.date | None) -> PointRead:
        pack = self.rules.pack(principal.tenant)
        point = _point_of(pack, point_id)
        day = on or pack.today()
        async with self.uow() as uow:
            history = [
                ReadingChoiceRead.model_validate(r) for r in await uow.repos.interpretations.choices(principal.tenant)
            ]
        return _point_read(point, history, day)

    async def choose(
        self, principal: Principal, point_id: str, data: ReadingChoiceCreate, *, client_address: str | None = None
    ) -> ReadingChoiceRead:
        pack = self.rules.pack(principal.tenant)
        point = _point_of(pack, point_id)
        reading = point.reading(data.reading)
        if reading is None:
            offered = ", ".join(r.id for r in point.readings)
            raise invalid(
                "body.reading",
                f"{data.reading!r} is not a reading of {point.id}; it has: {offered}",
                code="unknown_reading",
            )
        today = pack.today()
        if data.effective_from < today:
            raise invalid(
                "body.effective_from",
                f"is before today ({today}): a reading is chosen for matters still to be read, "
                "not for days already past",
                code="effective_from_in_past",
            )
        async with self.uow() as uow:
            rows = await uow.repos.interpretations.choices(principal.tenant)
            before = readings_in_force(_as_choices(rows), data.effective_from).get(point.id, point.default)
            version = 1 + max((r.version for r in rows if r.point == point.id), default=0)
            try:
                row = await uow.repos.interpretations.add(
                    principal.tenant,
                    point.id,
                    version,
                    reading.id,
                    data.effective_from,
                    data.reason.strip(),
                    principal.username,
                )
            except IntegrityError as exc:
                raise ChoiceConflict(
                    f"another choice for {point.id} was recorded meanwhile; read the point again and choose anew"
                ) from exc
            chosen = ReadingChoiceRead.model_validate(row)
            await self._record(uow, principal, client_address, chosen, before)
            await uow.commit()
        logger.info(
            "reading %s of %s chosen for %s from %s", reading.id, point.id, principal.tenant, data.effective_from
        )
        return chosen

    @staticmethod
    async def _record(
        uow: UnitOfWork[RoutingRepositories],
        principal: Principal,
        client_address: str | None,
        chosen: ReadingChoiceRead,
        before: str,
    ) -> None:
        detail = {
            "reading": chosen.reading,
            "effective_from": chosen.effective_from.isoformat(),
            "version": chosen.version,
            "replaces": before,
            "reason": chosen.reason[:500],
        }
        record = by_caller(
            principal, client_address, "rules.choose_reading", "interpretation_point", chosen.point, detail
        )
        await uow.repos.audit.append(principal.tenant, [record])
        uow.publish(
            InterpretationReadingChosen(
                tenant=principal.tenant,
                point=chosen.point,
                reading=chosen.reading,
                effective_from=chosen.effective_from,
                choice_version=chosen.version,
                chosen_by=chosen.chosen_by,
                reason=chosen.reason,
            )
        )


def _point_of(pack: RulePack, point_id: str) -> InterpretationPoint:
    for point in pack.points:
        if point.id == point_id:
            return point
    known = ", ".join(p.id for p in pack.points) or "none"
    raise PointNotFound(f"{pack.tenant} has no interpretation point {point_id!r}; its points: {known}")


def _point_read(point: InterpretationPoint, history: list[ReadingChoiceRead], on: dt.date) -> PointRead:
    mine = [r for r in history if r.point == point.id]
    current = max(
        (r for r in mine if r.effective_from <= on), key=lambda r: (r.effective_from, r.version), default=None
    )
    reading_id = current.reading if current is not None else point.default
    reading = point.reading(reading_id)
    label = reading.label if reading is not None else reading_id
    return PointRead(
        id=point.id,
        question=point.question,
        articles=point.articles,
        readings=point.readings,
        default=point.default,
        default_reason=point.default_reason,
        last_reviewed=point.last_reviewed,
        affects=point.affects,
        note=point.note,
        on=on,
        in_force=ReadingInForce(
            reading=reading_id,
            label=label,
            default=current is None,
            since=current.effective_from if current is not None else None,
            version=current.version if current is not None else None,
        ),
        choices=mine,
    )
