from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    insert,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamps on both PostgreSQL and SQLite (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


JSONType = JSON().with_variant(JSONB(), "postgresql")
UUIDStr = String(36)
# Who acted: a Keycloak username, which Keycloak allows up to 255 characters.
USERNAME_LENGTH = 255
UsernameStr = String(USERNAME_LENGTH)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # JSON columns by annotation; parametrised forms are listed because the registry looks a
    # generic up as written, not by its origin.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict: JSONType,
        list: JSONType,
        dict[str, Any]: JSONType,
        dict[str, str]: JSONType,
        list[Any]: JSONType,
        list[str]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


def table_of(model: type[Base]) -> Table:
    """The table ``model`` maps, for Core statements. Declarative types ``__table__`` as any
    FROM clause (a class may map a join or a subquery); every model here maps one table."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} does not map a single table")
    return table


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a batch's keys; on PostgreSQL ``column = ANY(:values)``, the list
    as one array parameter.

    An ``IN`` of hundreds of parameters is planned for that many values: on a table that has
    grown since it was last analysed (a bulk import's, before autovacuum gets to it, or
    anywhere autovacuum is off) the planner then expects most rows to match, scans the table
    and tests each row against the list, so each batch costs more than the one before. One
    array is one parameter whatever the batch's size, so the statement is prepared once and
    its plan looks each value up in the index (docs/operations/benchmarks.md, 2026-12-05).

    Keys of a string column go as ``text[]``, never as the column's ``varchar(n)[]``: in a
    generic plan the cast to a bounded length is a function PostgreSQL does not hold
    leakproof, and under row-level security a condition calling one is only tested after the
    policy, row by row, instead of in the index (ADR 0018)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        element = Text() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, values, type_=ARRAY(element)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


# Rows per multi-row INSERT: a batch of 500 slips is one statement per table, and the
# parameters of one statement (rows × columns) stay well under PostgreSQL's 32,767 for the
# widest table written this way (SQLAlchemy pages further where they would not).
ROWS_PER_INSERT = 500


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *, per_statement: int = ROWS_PER_INSERT
) -> None:
    """Insert ``rows`` into ``table`` as multi-row ``INSERT … VALUES (…), (…)`` statements of up
    to ``per_statement`` rows each, in the session's transaction.

    A plain executemany sends one ``INSERT`` per row (asyncpg pipelines them, but the server
    still plans and runs each); ``insert().values(list)`` renders one statement but compiles
    it anew for every batch, which cost more than the rows. Asking for the primary key back
    puts SQLAlchemy on its "insertmanyvalues" path: the one-row statement compiled once, its
    ``VALUES`` repeated per page of rows. The keys returned are not needed and dropped."""
    if not rows:
        return
    await session.execute(_insert_statement(table, per_statement), list(rows))


async def insert_new_rows(
    session: AsyncSession, model: type[Base] | Table, rows: Sequence[Mapping[str, Any]]
) -> list[Any]:
    """Insert ``rows``, keeping any whose key is already stored as it is (a redelivered event
    adds nothing), as multi-row statements like ``insert_rows``; returns the primary keys of the
    rows inserted (one value, or a tuple for a composite key), so a caller can tell which were new."""
    if not rows:
        return []
    table = model if isinstance(model, Table) else table_of(model)
    result = await session.execute(_insert_new_statement(table, session.get_bind().dialect.name), list(rows))
    keys = result.all()
    return [key[0] if len(key) == 1 else tuple(key) for key in keys]


@functools.cache
def _insert_new_statement(table: Table, dialect: str) -> Any:
    # PostgreSQL and SQLite spell ``ON CONFLICT DO NOTHING`` through their own dialect's insert;
    # built once per table and dialect, on the "insertmanyvalues" path of ``insert_rows``.
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        dialect_insert(table)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
        .execution_options(insertmanyvalues_page_size=ROWS_PER_INSERT)
    )


@functools.cache
def _insert_statement(table: Table, per_statement: int) -> Any:
    # Built once per table: building the statement cost about as much CPU as sending it.
    return (
        insert(table).returning(*table.primary_key.columns).execution_options(insertmanyvalues_page_size=per_statement)
    )
