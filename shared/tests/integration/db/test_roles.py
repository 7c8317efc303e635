"""Application roles: created once however many sessions race for it, never a superuser or
able to bypass row-level security, and made by ``wenze db roles`` from the services' URLs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.cli.output import EXIT_USAGE
from wenze.db import create_engine
from wenze.db.roles import RoleNameRefused, app_role, ensure_login_role

pytestmark = pytest.mark.integration

RACERS = 6


@pytest.fixture
async def role(database_url: str) -> AsyncIterator[str]:
    """A role name no one else uses, dropped afterwards (only this test knows it)."""
    name = f"wenze_role_test_{uuid.uuid4().hex[:8]}"
    yield name
    engine = create_engine(database_url, schema="public")
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    await engine.dispose()


async def attributes(database_url: str, role: str) -> tuple[bool, bool, bool] | None:
    engine = create_engine(database_url, schema="public")
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
                )
            ).first()
    finally:
        await engine.dispose()
    return None if row is None else (row[0], row[1], row[2])


async def test_sessions_racing_to_create_a_role_all_succeed_and_one_creates_it(database_url: str, role: str) -> None:
    engine = create_engine(database_url, schema="public", pool_size=RACERS)

    async def ensure() -> bool:
        async with engine.connect() as conn:
            return (await ensure_login_role(conn, role)).created

    try:
        created = await asyncio.gather(*(ensure() for _ in range(RACERS)))
    finally:
        await engine.dispose()
    assert created.count(True) <= 1
    assert await attributes(database_url, role) == (True, False, False)


async def test_an_existing_role_that_bypasses_row_level_security_loses_that(database_url: str, role: str) -> None:
    engine = create_engine(database_url, schema="public")
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN BYPASSRLS'))
        async with engine.connect() as conn:
            state = await ensure_login_role(conn, role)
    finally:
        await engine.dispose()
    assert not state.created and state.fit_for_a_service
    assert await attributes(database_url, role) == (True, False, False)


def test_the_cli_creates_the_roles_the_service_urls_name(database_url: str, role: str) -> None:
    admin = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    service = make_url(admin).set(username=role, password="s3cret").render_as_string(hide_password=False)
    runner = CliRunner()
    first = runner.invoke(app, ["db", "roles", service, "--admin-url", admin])
    assert first.exit_code == 0, first.output
    assert role in first.output and "created" in first.output and "s3cret" not in first.output
    again = runner.invoke(app, ["db", "roles", "--admin-url", admin], env={"WENZE_ROUTING_DATABASE_URL": service})
    assert again.exit_code == 0, again.output
    assert "existed" in again.output
    assert asyncio.run(attributes(database_url, role)) == (True, False, False)
    refused = runner.invoke(app, ["db", "roles", admin, "--admin-url", admin])
    assert refused.exit_code == EXIT_USAGE
    assert "is the admin role" in " ".join(refused.output.split())


def test_one_role_that_both_migrates_and_serves_gets_no_grants() -> None:
    url = "postgresql://wenze_intake:x@db/wenze"
    assert app_role(url, "postgresql://owner:y@db/wenze") == "wenze_intake"
    assert app_role(url, url) is None
    assert app_role("sqlite:///var/intake.db", "sqlite:///var/intake.db") is None
    with pytest.raises(RoleNameRefused):
        app_role('postgresql://"x; drop":p@db/wenze', "postgresql://owner@db/wenze")
