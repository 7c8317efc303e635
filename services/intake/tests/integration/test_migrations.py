"""Upgrading a database that already holds numbered matters keeps their numbering going."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from wenze.db import create_engine
from wenze.db.migrations import alembic_config
from wenze.rules import get_pack
from wenze_devtools.testing.infra import fresh_database
from wenze_intake.app import MIGRATIONS

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.db'}"
    else:
        with fresh_database() as url:
            asyncio.run(execute(url, 'CREATE SCHEMA "intake"'))
            yield url


async def execute(url: str, *statements: str) -> list[tuple]:
    """Run ``statements`` in one transaction; the rows of the last."""
    engine = create_engine(url, schema="intake")
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def test_numbering_continues_without_a_gap_after_the_number_counters_upgrade(
    empty_database: str, service_factory, token, make_matter
) -> None:
    year = get_pack("kunshan").today().year
    # Revision 0001, with the counters its numbering left after three Kunshan matters this
    # year and seven Jintan matters last year.
    command.upgrade(alembic_config(MIGRATIONS, empty_database, "intake"), "0001")
    asyncio.run(
        execute(
            empty_database,
            f"INSERT INTO matter_counters (tenant, year, last) VALUES ('kunshan', {year}, 3), "
            f"('jintan', {year - 1}, 7)",
        )
    )

    # The service upgrades its schema to head as it starts.
    intake = service_factory("intake", database=empty_database, run_import_jobs="false")
    try:
        response = httpx.post(
            f"{intake.url}/v1/matters",
            json=make_matter(),
            headers={"Authorization": f"Bearer {token('wenze-kunshan', 'ks-intake')}"},
            timeout=30,
        )
    finally:
        intake.stop()
    assert response.status_code == 201, response.text
    assert response.json()["number"] == f"KS-{year}-00004"

    counters = asyncio.run(
        execute(empty_database, "SELECT tenant, kind, year, last FROM number_counters ORDER BY tenant")
    )
    assert counters == [("jintan", "matter", year - 1, 7), ("kunshan", "matter", year, 4)]
    with pytest.raises(DBAPIError, match="matter_counters"):
        asyncio.run(execute(empty_database, "SELECT * FROM matter_counters"))
