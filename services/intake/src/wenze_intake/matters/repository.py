from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, text, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from wenze.auth.access import MatterAccess, ReadScope
from wenze.db.base import insert_new_rows, insert_rows, table_of
from wenze.db.numbering import reserve_numbers
from wenze.problems import BadRequest
from wenze_intake.matters.chunk_acceptance import ChunkAcceptance, accept_chunk
from wenze_intake.matters.models import (
    MATTER_NUMBERING,
    MATTER_STATES,
    AccessFactKind,
    Attachment,
    Matter,
    MatterAccessFact,
    MatterState,
    Target,
    TimelineEntry,
)
from wenze_intake.matters.numbered_insert import NumberedBatch, insert_numbered
from wenze_intake.matters.schemas import MatterFilters
from wenze_intake.matters.staged_insert import StagedOutcome, StagingBatch, copy_and_insert

# The earliest matter for each pair comes last, so building a dict from the rows keeps it.
# LATERAL with OFFSET 0 (which keeps the planner from flattening it back into a join) fixes
# the plan: one lookup in ix_matters_tenant_source_ref per pair. As a plain
# join, a table filled faster than autovacuum analyses it (a bulk import) looked nearly
# empty to the planner, and behind the tenant policy it chose to walk every matter of the
# tenant against every pair: 0.5 s a batch at 20,000 matters.
_EXISTING_REFERENCES = text(
    "SELECT m.source, m.source_reference, m.id"
    " FROM unnest(CAST(:sources AS text[]), CAST(:references AS text[])) AS p(source, source_reference)"
    " CROSS JOIN LATERAL (SELECT e.source, e.source_reference, e.id, e.received_at FROM matters e"
    " WHERE e.tenant = CAST(:tenant AS text) AND e.source = p.source"
    " AND e.source_reference = p.source_reference OFFSET 0) AS m"
    " ORDER BY m.received_at DESC"
)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def encode_cursor(matter: Matter) -> str:
    raw = f"{matter.received_at.isoformat()}|{matter.year}|{matter.seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, year, seq = raw.split("|", 2)
        return dt.datetime.fromisoformat(at), int(year), int(seq)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(
            "query.cursor: not a cursor this API returned",
            extra={
                "errors": [
                    {"field": "query.cursor", "reason": "not a cursor this API returned", "code": "unknown_cursor"}
                ]
            },
        ) from exc


def _known(column: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
    # An empty code is as unknown as a missing one, as MatterAccess.of drops both.
    return and_(column.is_not(None), column != "")


def _learned(kind: AccessFactKind, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        MatterAccessFact.tenant == Matter.tenant,
        MatterAccessFact.matter_id == Matter.id,
        MatterAccessFact.kind == kind,
        condition,
    )


def _beyond(authority: Iterable[str]) -> ColumnElement[bool]:
    """A target's cadre or organisation level, or a level learned later, outside ``authority``."""
    levels = sorted(authority)
    return or_(
        exists().where(
            Target.matter_id == Matter.id,
            or_(
                and_(_known(Target.cadre_level), Target.cadre_level.not_in(levels)),
                and_(_known(Target.org_level), Target.org_level.not_in(levels)),
            ),
        ),
        _learned(AccessFactKind.LEVEL, MatterAccessFact.value.not_in(levels)),
    )


def step_allowed(authority: Iterable[str], linked_units: Iterable[str]) -> ColumnElement[bool]:
    """What ``wenze.auth.access.authorise_step`` checks of a matter, as a condition on
    ``matters``: no level beyond the caller's authority, and where the caller is linked to
    units, a matter whose units are known names one of them."""
    linked = sorted(unit for unit in linked_units if unit)
    allowed = ~_beyond(authority)
    if not linked:
        return allowed
    units_known = or_(
        exists().where(Target.matter_id == Matter.id, _known(Target.unit)),
        exists().where(
            MatterAccessFact.tenant == Matter.tenant,
            MatterAccessFact.matter_id == Matter.id,
            MatterAccessFact.kind == AccessFactKind.UNIT,
        ),
    )
    reaches = or_(
        exists().where(Target.matter_id == Matter.id, Target.unit.in_(linked)),
        _learned(AccessFactKind.UNIT, MatterAccessFact.value.in_(linked)),
    )
    return and_(allowed, or_(~units_known, reaches))


def visible_to(scope: ReadScope) -> ColumnElement[bool]:
    """``wenze.auth.access.visible`` as a condition on ``matters``, for lists and look-ups in SQL.

    A matter's offices are its submitter's office and the offices learned from routing and
    review; its levels and units are its targets' and those learned; the integration test
    of this module compares the two on generated matters and callers.
    """
    if scope.integrator is not None:
        return Matter.submitted_by == scope.integrator
    party: ColumnElement[bool] = false()
    if scope.office is not None:
        party = or_(
            Matter.submitter_office == scope.office,
            _learned(AccessFactKind.OFFICE, MatterAccessFact.value == scope.office),
        )
    beyond_authority = _beyond(scope.authority)
    linked = sorted(unit for unit in scope.linked_units if unit)
    reach: ColumnElement[bool] = false()
    if scope.oversees:
        reach = true()
    elif linked:
        reach = or_(
            exists().where(Target.matter_id == Matter.id, Target.unit.in_(linked)),
            _learned(AccessFactKind.UNIT, MatterAccessFact.value.in_(linked)),
        )
    return or_(party, and_(~beyond_authority, reach))


class MatterRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def reserve_numbers(self, tenant: str, year: int, count: int) -> range:
        """``count`` consecutive registration numbers of ``year``, held until the transaction ends."""
        return await reserve_numbers(self.session, tenant, MATTER_NUMBERING, year, count)

    async def insert_numbered(self, batch: NumberedBatch) -> dict[str, tuple[int, str]]:
        """PostgreSQL: number and insert a batch in one statement (see ``numbered_insert``)."""
        return await insert_numbered(self.session, batch)

    async def copy_and_insert(self, batch: StagingBatch) -> list[StagedOutcome]:
        """PostgreSQL: stage an import batch by COPY and register it (see ``staged_insert``)."""
        return await copy_and_insert(self.session, batch)

    async def existing_references(self, tenant: str, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Map each already-registered (source, reference) pair to the first matter's id."""
        pairs = list(set(pairs))
        if not pairs:
            return {}
        if self.session.get_bind().dialect.name == "postgresql":
            # Two arrays joined against the index: one statement text and one plan whatever the
            # batch size. A tuple IN list has two parameters per pair, so each batch was a new
            # statement to prepare and a large OR to plan (about a quarter of a 500-row batch's
            # write time).
            sources, references = zip(*pairs, strict=False)
            rows = await self.session.execute(
                _EXISTING_REFERENCES, {"tenant": tenant, "sources": list(sources), "references": list(references)}
            )
            return {(s, r): i for s, r, i in rows.all()}
        stmt = (
            select(Matter.source, Matter.source_reference, Matter.id)
            .where(Matter.tenant == tenant, tuple_(Matter.source, Matter.source_reference).in_(pairs))
            .order_by(Matter.received_at.desc())
        )
        # The IN list holds no NULL reference, so every row found has one.
        return {(s, r): i for s, r, i in (await self.session.execute(stmt)).all() if r is not None}

    async def add_bulk(
        self, matters: Sequence[dict], targets: Sequence[dict], attachments: Sequence[dict], timeline: Sequence[dict]
    ) -> None:
        """Insert many rows as multi-row statements.

        Core inserts on the tables, not ORM bulk inserts on the classes: the ORM path spent
        more time preparing each row than PostgreSQL spent storing it.
        """
        await insert_rows(self.session, table_of(Matter), matters)
        await insert_rows(self.session, table_of(Target), targets)
        await insert_rows(self.session, table_of(Attachment), attachments)
        await insert_rows(self.session, table_of(TimelineEntry), timeline)

    async def in_import(
        self,
        tenant: str,
        job_id: str,
        scope: ReadScope,
        condition: ColumnElement[bool],
        limit: int,
        after: tuple[int, int] | None = None,
    ) -> list[tuple[str, int, int]]:
        """Up to ``limit`` (id, year, seq) of the job's matters awaiting acceptance that
        ``scope`` may read and ``condition`` admits, in numbering order, after ``after`` (the
        last (year, seq) of the chunk before: each chunk starts where the last one ended,
        rather than reading past every matter already accepted)."""
        stmt = (
            select(Matter.id, Matter.year, Matter.seq)
            .where(
                Matter.tenant == tenant,
                Matter.import_job_id == job_id,
                MATTER_STATES.can_move("accept", Matter.state),
                visible_to(scope),
                condition,
            )
            .order_by(Matter.year, Matter.seq)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(tuple_(Matter.year, Matter.seq) > after)
        return [(matter_id, year, seq) for matter_id, year, seq in (await self.session.execute(stmt)).all()]

    async def count_in_import(self, tenant: str, job_id: str, scope: ReadScope, state: str | None = None) -> int:
        """The job's matters ``scope`` may read (in ``state``, if given)."""
        conditions = [Matter.tenant == tenant, Matter.import_job_id == job_id, visible_to(scope)]
        if state is not None:
            conditions.append(Matter.state == state)
        return (await self.session.execute(select(func.count()).select_from(Matter).where(*conditions))).scalar_one()

    async def analyse_imported(self) -> None:
        """Refresh the planner's statistics of the matters, their targets and access facts after
        a bulk import (PostgreSQL): the acceptance that follows walks the import and updates its
        matters by plans that need them, and autovacuum's own analysis comes a minute or more
        later, or not at all where it is off. Only the tables' owner may analyse them: the
        function runs as that owner (migration 0013)."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT analyse_imported_matters()"))

    async def accept_chunk(self, matter_ids: Sequence[str], acceptance: ChunkAcceptance) -> list[tuple[str, str]]:
        """Accept ``matter_ids`` with their timeline entries and ``matter.accepted`` events, in one
        conditional update through the matters' state machine; (id, number) of the matters moved
        (a matter decided meanwhile is not), in numbering order."""
        return await accept_chunk(self.session, matter_ids, acceptance)

    async def get(self, tenant: str, matter_id: str) -> Matter | None:
        return await self.session.scalar(select(Matter).where(Matter.tenant == tenant, Matter.id == matter_id))

    async def access_of(self, matter: Matter) -> MatterAccess:
        """Who is party to ``matter`` and what its targets are, as far as intake knows."""
        learned: dict[str, list[str]] = {kind: [] for kind in AccessFactKind}
        rows = await self.session.execute(
            select(MatterAccessFact.kind, MatterAccessFact.value).where(
                MatterAccessFact.tenant == matter.tenant, MatterAccessFact.matter_id == matter.id
            )
        )
        for kind, value in rows.all():
            learned[kind].append(value)
        return MatterAccess.of(
            offices=[matter.submitter_office, *learned[AccessFactKind.OFFICE]],
            levels=[
                *(t.cadre_level for t in matter.targets),
                *(t.org_level for t in matter.targets),
                *learned[AccessFactKind.LEVEL],
            ],
            units=[*(t.unit for t in matter.targets), *learned[AccessFactKind.UNIT]],
            submitted_by=matter.submitted_by,
        )

    async def visible_ids(self, tenant: str, scope: ReadScope, matter_ids: Iterable[str]) -> set[str]:
        """Which of ``matter_ids`` the caller with ``scope`` may read, in one query."""
        ids = sorted(set(matter_ids))
        if not ids:
            return set()
        stmt = select(Matter.id).where(Matter.tenant == tenant, Matter.id.in_(ids), visible_to(scope))
        return set((await self.session.scalars(stmt)).all())

    async def learn(self, facts: Sequence[dict[str, str]]) -> None:
        """Add access facts (tenant, matter_id, kind, value); one already known is kept as is."""
        if not facts:
            return
        await insert_new_rows(self.session, MatterAccessFact, facts)

    async def move(self, matter: Matter, action: str, *, detail: str, **values: Any) -> MatterState:
        """Move ``matter`` by ``action`` if no other request moved it first (see MATTER_STATES);
        ``detail`` words the refusal when its state does not allow the action."""
        return await MATTER_STATES.move(self.session, matter, action, detail=detail, **values)

    async def list_matters(
        self,
        tenant: str,
        scope: ReadScope,
        filters: MatterFilters,
        cursor: str | None,
        limit: int,
        *,
        zone: dt.tzinfo,
    ) -> list[Matter]:
        """A page of the tenant's matters the caller with ``scope`` may read; ``received_from``
        and ``received_to`` are days in ``zone``."""
        stmt = select(Matter).where(Matter.tenant == tenant, visible_to(scope))
        if filters.number:
            stmt = stmt.where(Matter.number == filters.number)
        if filters.state:
            stmt = stmt.where(Matter.state == filters.state)
        if filters.source:
            stmt = stmt.where(Matter.source == filters.source)
        if filters.received_from:
            start = dt.datetime.combine(filters.received_from, dt.time(), zone)
            stmt = stmt.where(Matter.received_at >= start)
        if filters.received_to:
            end = dt.datetime.combine(filters.received_to + dt.timedelta(days=1), dt.time(), zone)
            stmt = stmt.where(Matter.received_at < end)
        target_conditions: list[ColumnElement[bool]] = []
        if filters.target_name:
            target_conditions.append(Target.name.ilike(_like(filters.target_name), escape="\\"))
        if filters.cadre_level:
            target_conditions.append(Target.cadre_level == filters.cadre_level)
        if target_conditions:
            stmt = stmt.where(exists().where(Target.matter_id == Matter.id, and_(*target_conditions)))
        if filters.q:
            stmt = stmt.where(Matter.search_text.ilike(_like(filters.q), escape="\\"))
        if cursor:
            at, year, seq = decode_cursor(cursor)
            stmt = stmt.where(
                or_(
                    Matter.received_at < at,
                    and_(Matter.received_at == at, tuple_(Matter.year, Matter.seq) < (year, seq)),
                )
            )
        # A bulk import registers many matters in one instant: among them, the higher number first,
        # so a list reads the same on every call and in the order the numbers were given.
        stmt = stmt.order_by(Matter.received_at.desc(), Matter.year.desc(), Matter.seq.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    def add_timeline(self, matter_id: str, actor: str, action: str, state: str, detail: dict) -> None:
        self.session.add(TimelineEntry(matter_id=matter_id, actor=actor, action=action, state=state, detail=detail))

    async def timeline(self, matter_id: str) -> list[TimelineEntry]:
        stmt = select(TimelineEntry).where(TimelineEntry.matter_id == matter_id).order_by(TimelineEntry.id)
        return list((await self.session.scalars(stmt)).all())
