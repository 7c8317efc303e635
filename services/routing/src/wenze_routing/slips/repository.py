from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    MetaData,
    Table,
    and_,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.auth.access import MatterAccess, ReadScope
from wenze.db.base import insert_rows, table_of, utcnow
from wenze.db.numbering import reserve_numbers
from wenze.db.together import EncodedJSON, write_at_commit
from wenze.ids import new_id
from wenze_routing.slips.access import LEVEL, OFFICE, UNIT, facts_of
from wenze_routing.slips.models import SLIPS, NewSlip, RoutingSlip, SlipAccess, SlipEvent, SlipState

SLIP_NUMBERING = "routing_slip"
SLIP_ACCESS = table_of(SlipAccess)


def taking_encoded_json(table: Table) -> Table:
    """``table`` as the target of an insert whose JSON values come encoded (``EncodedJSON``):
    the same name, columns and keys, outside the models' metadata."""
    columns = [
        Column(
            column.name,
            EncodedJSON() if isinstance(column.type, JSON) else column.type,
            key=column.key,
            primary_key=column.primary_key,
            autoincrement=column.autoincrement,
        )
        for column in table.columns
    ]
    return Table(table.name, MetaData(), *columns, schema=table.schema)


class Encodings:
    """The JSON text of each value a batch writes, encoded once however many rows hold the
    value: the slips of one ruling share its facts, outcome, explanation and citations, and
    encoding them row by row was most of the JSON's cost. By identity, so each value is kept
    here (no other takes its id) and must not change while the batch is written; encoded with
    the dialect's serializer, as the JSON type itself does."""

    def __init__(self, dialect: Dialect):
        self._dumps: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps
        self._texts: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        found = self._texts.get(id(value))
        if found is None:
            found = self._texts[id(value)] = (value, self._dumps(value))
        return found[1]


NEW_SLIPS = taking_encoded_json(table_of(RoutingSlip))
NEW_SLIPS_JSON = [column.key for column in NEW_SLIPS.columns if isinstance(column.type, EncodedJSON)]
NEW_TIMELINE = taking_encoded_json(table_of(SlipEvent))


def visible_to(scope: ReadScope) -> ColumnElement[bool]:
    """The read rule (``wenze.auth.access.visible``) as a condition on ``slips``, for lists."""
    if scope.integrator is not None:
        # A slip does not know who submitted its matter: integrators read matters in intake.
        return false()

    def has(facet: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(SLIP_ACCESS.c.slip_id == RoutingSlip.id, SLIP_ACCESS.c.facet == facet, condition)

    party = has(OFFICE, SLIP_ACCESS.c.value == scope.office) if scope.office is not None else false()
    # Every known level within the authority: no level outside it.
    within_authority = ~has(LEVEL, SLIP_ACCESS.c.value.not_in(sorted(scope.authority)))
    reach = true() if scope.oversees else has(UNIT, SLIP_ACCESS.c.value.in_(sorted(scope.linked_units)))
    return or_(party, and_(within_authority, reach))


def concerning(office: str, *, overrides: bool) -> ColumnElement[bool]:
    """What concerns ``office`` among the slips it may read: those naming it and, for the office
    that forces routings (``overrides``), those waiting for it to name a handler."""
    party = exists().where(
        SLIP_ACCESS.c.slip_id == RoutingSlip.id, SLIP_ACCESS.c.facet == OFFICE, SLIP_ACCESS.c.value == office
    )
    return or_(party, RoutingSlip.state == SlipState.AWAITING_HANDLER) if overrides else party


class SlipRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def reserve_numbers(self, tenant: str, year: int, count: int = 1) -> range:
        """The next ``count`` slip sequence numbers; the counter row stays locked until commit,
        so concurrent routings queue and a rollback gives the numbers back (no gaps)."""
        return await reserve_numbers(self.session, tenant, SLIP_NUMBERING, year, count)

    async def add(self, slips: Sequence[RoutingSlip]) -> None:
        """Insert ``slips`` now, so that each has its id for the timeline and the events."""
        self.session.add_all(slips)
        await self.session.flush()

    def stage_opened(self, opened: Sequence[tuple[NewSlip, dict]], actor: str) -> None:
        """Stage a batch of new slips and their ``opened`` timeline entries for the commit
        (``wenze.db.together``), without the ORM (a routed batch of accepted matters: the slips
        are not read or changed again in that transaction), each JSON value that slips share
        encoded once. Each slip's row gets its id and the defaults of a new slip here."""
        now = utcnow()
        encode = Encodings(self.session.get_bind().dialect)
        slips, entries = [], []
        for slip, detail in opened:
            row = slip.row
            row.update(id=new_id(), revision=0, created_at=now, updated_at=now)
            slips.append(row | {key: encode(row[key]) for key in NEW_SLIPS_JSON})
            entries.append(
                {
                    "slip_id": row["id"],
                    "at": now,
                    "actor": actor,
                    "office": None,
                    "action": "opened",
                    "state": row["state"],
                    "detail": encode(detail),
                    "citations": encode(row["citations"]),
                }
            )
        write_at_commit(self.session, NEW_SLIPS, slips)
        write_at_commit(self.session, NEW_TIMELINE, entries)

    async def grant(self, slips: Sequence[tuple[RoutingSlip | NewSlip, MatterAccess]]) -> None:
        """Record who reads each new slip (its parties, its targets' levels and units)."""
        await insert_rows(self.session, SLIP_ACCESS, _access_rows(slips))

    def stage_grants(self, slips: Sequence[tuple[NewSlip, MatterAccess]]) -> None:
        """``grant`` for slips staged by ``stage_opened``, written with them at the commit."""
        write_at_commit(self.session, SLIP_ACCESS, _access_rows(slips))

    async def name_offices(self, slip: RoutingSlip, offices: Sequence[str]) -> None:
        """Make ``offices`` parties to ``slip`` too. Called after a move, which holds the slip
        against other moves until commit, so no one else adds the same office meanwhile."""
        known = set(
            await self.session.scalars(
                select(SLIP_ACCESS.c.value).where(SLIP_ACCESS.c.slip_id == slip.id, SLIP_ACCESS.c.facet == OFFICE)
            )
        )
        rows = [
            {"slip_id": slip.id, "tenant": slip.tenant, "facet": OFFICE, "value": office}
            for office in sorted(set(offices) - known)
        ]
        await insert_rows(self.session, SLIP_ACCESS, rows)

    async def access(self, slip: RoutingSlip) -> MatterAccess:
        """Who reads ``slip``, as recorded: the same rows lists filter on."""
        rows = (
            await self.session.execute(
                select(SLIP_ACCESS.c.facet, SLIP_ACCESS.c.value).where(SLIP_ACCESS.c.slip_id == slip.id)
            )
        ).all()
        values: dict[str, list[str]] = {OFFICE: [], LEVEL: [], UNIT: []}
        for facet, value in rows:
            values[facet].append(value)
        return MatterAccess.of(offices=values[OFFICE], levels=values[LEVEL], units=values[UNIT])

    async def move(self, slip: RoutingSlip, action: str, *, detail: str | None = None, **values: Any) -> None:
        """Move ``slip`` by ``action`` (see ``SLIPS``), setting ``values``; refused with a 409 if
        the slip is in no state to, or another request moved it since it was read."""
        await SLIPS.move(
            self.session,
            slip,
            action,
            detail=detail,
            unchanged=("revision",),
            revision=slip.revision + 1,
            updated_at=utcnow(),
            **values,
        )

    def record(
        self, slip: RoutingSlip, actor: str, office: str | None, action: str, detail: dict, citations: list[str]
    ) -> None:
        self.session.add(
            SlipEvent(
                slip_id=slip.id,
                actor=actor,
                office=office,
                action=action,
                state=slip.state,
                detail=detail,
                citations=citations,
            )
        )

    async def get(self, tenant: str, slip_id: str) -> RoutingSlip | None:
        return await self.session.scalar(
            select(RoutingSlip).where(RoutingSlip.tenant == tenant, RoutingSlip.id == slip_id)
        )

    async def list_slips(
        self,
        tenant: str,
        scope: ReadScope,
        *,
        matter_id: str | None,
        state: SlipState | None,
        limit: int,
        concern: ColumnElement[bool] | None = None,
    ) -> list[RoutingSlip]:
        """The slips of ``tenant`` the caller of ``scope`` may read, oldest first; with
        ``concern`` (:func:`concerning`), only those."""
        stmt = select(RoutingSlip).where(RoutingSlip.tenant == tenant, visible_to(scope))
        if concern is not None:
            stmt = stmt.where(concern)
        if matter_id is not None:
            stmt = stmt.where(RoutingSlip.matter_id == matter_id)
        if state is not None:
            stmt = stmt.where(RoutingSlip.state == state)
        stmt = stmt.order_by(RoutingSlip.created_at, RoutingSlip.id).limit(limit)
        return list(await self.session.scalars(stmt))

    async def timeline(self, slip_id: str) -> list[SlipEvent]:
        stmt = select(SlipEvent).where(SlipEvent.slip_id == slip_id).order_by(SlipEvent.id)
        return list(await self.session.scalars(stmt))


def _access_rows(slips: Sequence[tuple[RoutingSlip | NewSlip, MatterAccess]]) -> list[dict[str, str]]:
    return [
        {"slip_id": slip.id, "tenant": slip.tenant, "facet": facet, "value": value}
        for slip, access in slips
        for facet, value in facts_of(access)
    ]
