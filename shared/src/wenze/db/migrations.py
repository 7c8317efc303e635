"""Alembic, per service: each service migrates only its own schema.

A service's ``migrations/env.py`` is two lines that call :func:`run_env`; the schema comes
first on the connection's ``search_path``, so migration scripts never name it.

Migrations run as the role of the migration URL, which owns the schema. On PostgreSQL they
run in system scope (ADR 0018: the tenant policies bind the owner too), one process at a time
per schema, and end by granting the service's application role what it may do, when the
service connects as one (:mod:`wenze.db.roles`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text

from wenze.db.engine import create_engine, is_sqlite, normalise_url
from wenze.db.roles import checked_role, grant_app_role
from wenze.db.tenancy import TenantScope, apply_setting


def alembic_config(migrations_dir: Path, database_url: str, schema: str, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["database_url"] = normalise_url(database_url)
    config.attributes["schema"] = schema
    config.attributes["app_role"] = checked_role(app_role) if app_role else None
    return config


async def upgrade(migrations_dir: Path, database_url: str, schema: str, *, app_role: str | None = None) -> None:
    """Create the service's schema if needed and upgrade it to head, connecting with
    ``database_url`` (the migration URL); then grant ``app_role``, if given, its privileges."""
    engine = create_engine(database_url, schema=schema)
    try:
        if not is_sqlite(database_url):
            async with engine.begin() as conn:
                await conn.execute(_LOCK, {"key": _lock(schema)})
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        await engine.dispose()
    config = alembic_config(migrations_dir, database_url, schema, app_role)
    await asyncio.to_thread(command.upgrade, config, "head")


# Held until the migrating transaction ends: one migration of a schema at a time.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def _lock(schema: str) -> str:
    return f"wenze.migrate:{schema}"


def run_env(target_metadata: MetaData | None = None) -> None:
    """Body of every service's ``env.py``; ``target_metadata`` serves autogenerate."""
    attributes = context.config.attributes

    def _run(connection: Connection) -> None:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            # An API and a worker starting side by side migrate (and grant) one after the other.
            connection.execute(_LOCK, {"key": _lock(attributes["schema"])})
            apply_setting(connection, TenantScope(system="migrations"))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            user_module_prefix="wenze.db.base.",
        )
        with context.begin_transaction():
            context.run_migrations()
        if postgresql and attributes.get("app_role"):
            grant_app_role(connection, attributes["schema"], attributes["app_role"])

    async def _main() -> None:
        engine = create_engine(attributes["database_url"], schema=attributes["schema"])
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_run)
                await conn.commit()
        finally:
            await engine.dispose()

    # Alembic runs env.py synchronously in a worker thread (see upgrade), which has no event
    # loop; the engine is made here because async connections belong to one loop.
    asyncio.run(_main())
