"""Reads and writes of the read model's rows; only this module builds their queries."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import ROWS_PER_INSERT, Base, among, insert_new_rows, table_of
from wenze_reporting.ledger.models import (
    PROJECTIONS,
    ReportAppeal,
    ReportDeadline,
    ReportExecution,
    ReportMatter,
    ReportMatterAccess,
    ReportSlip,
)
from wenze_reporting.progress.models import PROJECTIONS as PROGRESS_PROJECTIONS

M = TypeVar("M", bound=Base)

# Access facts, as review keeps them (wenze_review.access): an office party to the matter, a
# target's cadre or organisation level, a target's unit.
OFFICE = "office"
LEVEL = "level"
UNIT = "unit"


class LedgerRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def merge_matters(self, tenant: str, changes: Mapping[str, MatterChange]) -> dict[str, Any]:
        """Write what a batch's events set on each matter in ``changes`` (keyed by matter id),
        each value meeting the stored one by its ``Merge``, and return the matters' rows as
        they stand now.

        One ``INSERT … ON CONFLICT DO UPDATE`` per page of matters, in order of id: a matter
        reporting has not heard of yet is created with the values, and either way its row
        stays locked until the transaction ends, so consumers filling different columns of it
        take turns. A batch is one consumer's, so of one kind of event: its changes set the
        same columns and go in one statement."""
        if not changes:
            return {}
        united = {c for change in changes.values() for c, (merge, _) in change.values.items() if merge is Merge.UNION}
        if united:
            changes = await self._with_stored(tenant, changes, sorted(united))
        rows: dict[str, Any] = {}
        groups: dict[tuple[tuple[str, Merge], ...], list[dict[str, Any]]] = defaultdict(list)
        for matter_id, change in sorted(changes.items()):
            signature = tuple(sorted((column, merge) for column, (merge, _) in change.values.items()))
            given = {column: value for column, (_, value) in change.values.items()}
            groups[signature].append({"tenant": tenant, "id": matter_id, **given})
        dialect = self.session.get_bind().dialect.name
        for signature, group in groups.items():
            result = await self.session.execute(_merge_statement(signature, dialect), group)
            rows.update((row.id, row) for row in result.all())
        return rows

    async def _with_stored(
        self, tenant: str, changes: Mapping[str, MatterChange], columns: Sequence[str]
    ) -> dict[str, MatterChange]:
        """``changes`` with the values of ``columns`` merged into the stored ones in Python
        (a union of JSON lists, which SQL on both databases does not spell alike): the rows are
        created if missing and locked first."""
        ids = sorted(changes)
        table = table_of(ReportMatter)
        await insert_new_rows(self.session, table, [{"tenant": tenant, "id": i} for i in ids])
        query = select(table.c.id, *(table.c[c] for c in columns)).where(
            table.c.tenant == tenant, among(self.session, table.c.id, ids)
        )
        stored = {row.id: dict(row._mapping) for row in (await self.session.execute(query.with_for_update())).all()}
        return {matter: change.resolved(stored[matter]) for matter, change in changes.items()}

    async def add_new(self, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows of events not seen before; a row already stored is kept as it is."""
        await insert_new_rows(self.session, model, rows)

    async def slips_decided(self, tenant: str, decided: Mapping[str, dt.date]) -> None:
        """Give the slips of each matter in ``decided`` its decision date, unless an earlier one is stored."""
        if not decided:
            return
        slips = table_of(ReportSlip)
        statement = (
            update(slips)
            .where(
                slips.c.tenant == tenant,
                slips.c.matter_id == bindparam("matter"),
                or_(slips.c.decided_on.is_(None), slips.c.decided_on > bindparam("day")),
            )
            .values(decided_on=bindparam("day"))
        )
        await self.session.execute(statement, [{"matter": m, "day": d} for m, d in sorted(decided.items())])

    async def note_access(self, tenant: str, facts: Iterable[tuple[str, str, str]]) -> None:
        """Record ``(matter_id, facet, value)`` facts about who may read a matter."""
        rows = [
            {"tenant": tenant, "matter_id": matter_id, "facet": facet, "value": value}
            for matter_id, facet, value in sorted(set(facts))
            if value
        ]
        await insert_new_rows(self.session, ReportMatterAccess, rows)

    async def existing(self, model: type[M], tenant: str, ids: Iterable[str]) -> dict[str, M]:
        """The stored rows of ``model`` (deadlines, executions, appeals: keyed by ``id``), locked
        for this transaction."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        table: Any = model
        stmt = (
            select(model)
            .where(table.tenant == tenant, among(self.session, table.id, ids))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.id: row for row in (await self.session.scalars(stmt)).all()}  # type: ignore[attr-defined]

    async def deadlines(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportDeadline]:
        return await self.existing(ReportDeadline, tenant, ids)

    async def executions(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportExecution]:
        return await self.existing(ReportExecution, tenant, ids)

    async def appeals(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportAppeal]:
        return await self.existing(ReportAppeal, tenant, ids)

    def add(self, row: Base) -> None:
        self.session.add(row)

    async def empty(self) -> dict[str, int]:
        """Delete every projected row of every tenant (a rebuild, in system scope)."""
        removed: dict[str, int] = {}
        for model in (*PROGRESS_PROJECTIONS, *PROJECTIONS):
            result = await self.session.execute(delete(model))
            removed[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
        return removed


class Merge(enum.Enum):
    """How a value an event gives a matter meets the one reporting has stored (the read
    model's rule: the rows end the same whatever order the streams are read in)."""

    REPLACE = "replace"  # the event's value
    FILL = "fill"  # the stored value, where there is one
    EARLIEST = "earliest"  # the earlier date
    FILL_EMPTY = "fill_empty"  # the stored list, unless it is empty
    UNION = "union"  # every item of both lists, once, in a fixed order


def merged(merge: Merge, stored: Any, given: Any) -> Any:
    """``Merge`` in Python: how two events of one batch combine, before the stored value."""
    match merge:
        case Merge.REPLACE:
            return given
        case Merge.FILL:
            return given if stored is None else stored
        case Merge.EARLIEST:
            return given if stored is None or (given is not None and given < stored) else stored
        case Merge.FILL_EMPTY:
            return stored or given
        case Merge.UNION:
            every = {json.dumps(item, sort_keys=True): item for item in [*(stored or []), *given]}
            return [every[key] for key in sorted(every)]


@dataclass
class MatterChange:
    """What a batch's events set on one matter: each column's value and how it merges."""

    values: dict[str, tuple[Merge, Any]] = field(default_factory=dict)

    def set(self, column: str, merge: Merge, value: Any) -> None:
        if column in self.values:
            value = merged(merge, self.values[column][1], value)
        self.values[column] = (merge, value)

    def resolved(self, stored: Mapping[str, Any]) -> MatterChange:
        """This change with its values of the columns in ``stored`` merged into those already,
        to be written as they are."""
        return MatterChange(
            {
                column: (Merge.REPLACE, merged(merge, stored[column], value)) if column in stored else (merge, value)
                for column, (merge, value) in self.values.items()
            }
        )


@functools.cache
def _merge_statement(signature: tuple[tuple[str, Merge], ...], dialect: str) -> Any:
    table = table_of(ReportMatter)
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    given = statement.excluded
    length = func.jsonb_array_length if dialect == "postgresql" else func.json_array_length
    spelled = {
        Merge.REPLACE: lambda c: given[c],
        Merge.FILL: lambda c: func.coalesce(table.c[c], given[c]),
        Merge.EARLIEST: lambda c: case((or_(table.c[c].is_(None), given[c] < table.c[c]), given[c]), else_=table.c[c]),
        Merge.FILL_EMPTY: lambda c: case((length(table.c[c]) == 0, given[c]), else_=table.c[c]),
    }
    # Setting nothing would not lock the row nor return it: a change of no column sets its id.
    assignments = {column: spelled[merge](column) for column, merge in signature} or {"id": table.c.id}
    return (
        statement.on_conflict_do_update(index_elements=[table.c.tenant, table.c.id], set_=assignments)
        .returning(table)
        .execution_options(insertmanyvalues_page_size=ROWS_PER_INSERT)
    )
