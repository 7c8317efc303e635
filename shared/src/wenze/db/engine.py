from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from wenze.db import tenancy


def normalise_url(url: str) -> str:
    """Accept the URLs operators write (``postgresql://``, ``sqlite:///``) and pick async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, schema: str, pool_size: int = 10, pre_ping: bool = True, plan_each_statement: bool = False
) -> AsyncEngine:
    """An engine on ``url``. ``pre_ping`` checks each connection as it leaves the pool, which
    costs three round trips on asyncpg (a transaction opened and rolled back around an empty
    statement): worth it where a dropped connection would fail a request, not in a worker whose
    loops retry (see ``wenze.runtime.run_worker``).

    ``plan_each_statement`` has PostgreSQL plan every execution of a prepared statement for its
    parameters and the tables as they are now (``plan_cache_mode = force_custom_plan``). A
    worker's statements each carry a batch of hundreds of keys, so planning is a small part of
    their cost; a generic plan, kept once a statement has run five times, was chosen for the
    tables as they were then, and a bulk import grows them a hundredfold before anything
    analyses them again: a worker kept scanning a table it had planned as empty, testing every
    row against the batch's keys (docs/operations/benchmarks.md, 2026-12-05). Transactions of a
    few events let PostgreSQL choose all the same (``wenze.db.planning``)."""
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    server_settings = {"search_path": f"{schema},public"}
    if plan_each_statement:
        server_settings["plan_cache_mode"] = "force_custom_plan"
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        connect_args={"server_settings": server_settings},
    )
    tenancy.install(engine.sync_engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    # WAL lets readers proceed while the relay or a bulk job writes; foreign keys are off by
    # default in SQLite and the models rely on them.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
