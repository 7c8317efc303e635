"""Alembic, per service: each service migrates only its own schema.

A service's ``migrations/env.py`` is two lines that call :func:`run_env`; the schema comes
first on the connection's ``search_path``, so migration scripts never name it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text

from wenze.db.engine import create_engine, is_sqlite, normalise_url


def alembic_config(migrations_dir: Path, database_url: str, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["database_url"] = normalise_url(database_url)
    config.attributes["schema"] = schema
    return config


async def upgrade(migrations_dir: Path, database_url: str, schema: str) -> None:
    """Create the service's schema if needed and upgrade it to head."""
    engine = create_engine(database_url, schema=schema)
    try:
        if not is_sqlite(database_url):
            async with engine.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        await engine.dispose()
    await asyncio.to_thread(command.upgrade, alembic_config(migrations_dir, database_url, schema), "head")


def run_env(target_metadata: MetaData | None = None) -> None:
    """Body of every service's ``env.py``; ``target_metadata`` serves autogenerate."""
    attributes = context.config.attributes

    def _run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            user_module_prefix="wenze.db.base.",
        )
        with context.begin_transaction():
            context.run_migrations()

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
