"""The engine the library's table tests run on: SQLite or PostgreSQL, the table under test in a
file or a schema of its own, so that no test sees another's rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.db import create_engine

BACKENDS = ["sqlite", "postgresql"]


@asynccontextmanager
async def engine_holding(
    table: Table | MetaData, name: str, backend: str, tmp_path: Path, database_url: str
) -> AsyncIterator[AsyncEngine]:
    """An engine on ``backend`` with ``table`` (or every table of a ``MetaData``) created: in the
    file ``<name>.db`` for SQLite, in a new schema ``<name>_…`` for PostgreSQL."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / f'{name}.db'}", schema=f"{name}_test")
    else:
        schema = f"{name}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(database_url, schema=schema)
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.create_all if isinstance(table, MetaData) else table.create)
        yield engine
    finally:
        await engine.dispose()
