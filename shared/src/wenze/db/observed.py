"""What the metrics observe in a service's schema: the outbox's backlog, and how many rows of
each stateful table are in each state per tenant.

A stateful table is one with both a ``tenant`` and a ``state`` column (matters, slips,
cases, tasks, import jobs …): the tables whose rows move through a
:class:`~wenze.db.states.StateMachine`. They are found in the service's own schema, so the
library needs no list of a service's models. Kept apart from the services' repositories:
only the metrics sampler reads these.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, column, func, inspect, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from wenze.db.outbox import OUTBOX


def _stateful_tables(connection: Connection) -> list[str]:
    inspector = inspect(connection)
    found = []
    for name in inspector.get_table_names():
        columns = {c["name"] for c in inspector.get_columns(name)}
        if {"tenant", "state"} <= columns:
            found.append(name)
    return sorted(found)


class ObservedRepository:
    """Read-only queries for the metrics; the stateful tables are looked up once."""

    def __init__(self) -> None:
        self._tables: list[str] | None = None

    async def outbox_waiting(self, connection: AsyncConnection) -> tuple[int, dt.datetime | None]:
        """How many rows wait to be published, and when the oldest of them was written."""
        stmt = select(func.count(), func.min(OUTBOX.c.created_at)).where(OUTBOX.c.published_at.is_(None))
        count, oldest = (await connection.execute(stmt)).one()
        return int(count), oldest

    async def state_counts(self, connection: AsyncConnection) -> list[tuple[str, str, str, int]]:
        """(table, tenant, state, rows) for every stateful table."""
        if self._tables is None:
            self._tables = await connection.run_sync(_stateful_tables)
        rows: list[tuple[str, str, str, int]] = []
        for name in self._tables:
            t = table(name, column("tenant"), column("state"))
            stmt = select(t.c.tenant, t.c.state, func.count()).group_by(t.c.tenant, t.c.state)
            rows.extend((name, str(tenant), str(state), int(n)) for tenant, state, n in await connection.execute(stmt))
        return rows
