"""The rows of several tables written in one statement, with the unit of work's commit.

A routed batch writes slips, their timeline, their access rows, audit entries and outbox rows:
five inserts, each a round trip that costs the worker's event loop and SQLAlchemy about as much
as PostgreSQL's own work (docs/operations/benchmarks.md, 2026-12-05 10:01). A repository
stages such rows (``write_at_commit``) and the unit of work writes them, with its outbox rows,
in one statement just before it commits (``insert_together``).

On PostgreSQL each table's rows travel as one JSON document that ``json_populate_recordset``
reads back into the table's row type, one data-modifying ``WITH`` per table. The text is the
same whatever the number of rows, so it is built and prepared once, and a batch is three
parameters or five, never rows × columns. The rows meet the tables' constraints and row-level
security as any insert does; a foreign key from one table to another of the same statement
holds, since PostgreSQL checks it once the whole statement has run. Elsewhere (SQLite) each
table gets its own ``insert_rows``.

Staged rows are not in the database before the commit, so nothing in the transaction may read
them back: stage only rows the rest of the transaction does not look at.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Table, TypeDecorator, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeEngine

from wenze.db.base import JSONType, insert_rows

# Where a session keeps the rows staged for its unit of work's commit.
_STAGED = "wenze.rows_at_commit"

Rows = tuple[Table, Sequence[Mapping[str, Any]]]


class EncodedJSON(TypeDecorator[Any]):
    """A JSON column whose values come encoded already, exactly as the JSON type would encode
    them (a value many rows share, encoded once): it sends them as they are."""

    impl = JSONType
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def write_at_commit(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Stage ``rows`` of ``table`` (each with the same keys) for the commit of the unit of work
    that owns ``session``, which writes them in one statement with the others."""
    if rows:
        session.info.setdefault(_STAGED, []).append((table, rows))


def take_staged(session: AsyncSession) -> list[Rows]:
    """The rows staged on ``session``, in the order they were staged; none are left staged."""
    staged: list[Rows] = session.info.pop(_STAGED, [])
    return staged


async def insert_together(session: AsyncSession, inserts: Sequence[Rows]) -> None:
    """Insert each table's rows, in one statement on PostgreSQL (see the module)."""
    inserts = [(table, rows) for table, rows in inserts if rows]
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or len(inserts) < 2:
        for table, rows in inserts:
            await insert_rows(session, table, rows)
        return
    shape = tuple((table, tuple(rows[0].keys())) for table, rows in inserts)
    dumps: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps
    documents = {
        f"rows_{i}": _document(table, keys, rows, dumps)
        for i, ((table, keys), (_, rows)) in enumerate(zip(shape, inserts, strict=True))
    }
    await session.execute(_statement(shape), documents)


@functools.cache
def _statement(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> TextClause:
    inserts = []
    for i, (table, keys) in enumerate(shape):
        name = _quote(table.name)
        columns = ", ".join(_quote(table.c[key].name) for key in keys)
        inserts.append(
            f"INSERT INTO {name} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(CAST(NULL AS {name}), CAST(:rows_{i} AS json))"
        )
    *first, last = inserts
    written = ", ".join(f"written_{i} AS ({statement})" for i, statement in enumerate(first))
    return text(f"WITH {written} {last}")


def _document(table: Table, keys: Sequence[str], rows: Sequence[Mapping[str, Any]], dumps: Callable[[Any], str]) -> str:
    """``rows`` as a JSON array of objects named by column, each value as PostgreSQL reads it
    back into its column."""
    members = [(json.dumps(table.c[key].name), key, _encoder(table.c[key].type, dumps)) for key in keys]
    return (
        "["
        + ",".join("{" + ",".join(f"{name}:{encode(row[key])}" for name, key, encode in members) + "}" for row in rows)
        + "]"
    )


def _encoder(type_: TypeEngine[Any], dumps: Callable[[Any], str]) -> Callable[[Any], str]:
    if isinstance(type_, EncodedJSON):
        return lambda value: "null" if value is None else value
    if isinstance(type_, JSON):
        # A JSON null is read back as SQL NULL, as ``EncodedJSON`` sends None; the JSON type's
        # own insert would store a JSON null. No staged JSON value is None.
        return dumps
    if isinstance(type_, DateTime) or isinstance(getattr(type_, "impl", None), DateTime):
        return _timestamp
    if isinstance(type_, Date):
        return lambda value: "null" if value is None else f'"{value.isoformat()}"'
    return json.dumps


def _timestamp(value: dt.datetime | None) -> str:
    if value is None:
        return "null"
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return f'"{value.isoformat()}"'


def _quote(name: str) -> str:
    """A table's or column's name as a quoted identifier; the names are the models', never input."""
    assert '"' not in name, name
    return f'"{name}"'
