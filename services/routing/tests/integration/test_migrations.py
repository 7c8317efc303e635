"""Upgrading a database that already holds slips gives each its readers: the offices and bodies
its routing names, the approvers of its consultation, its targets' levels and units."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.migrations import alembic_config
from wenze.db.tenancy import system_scope
from wenze.events.routing import CalendarYearLoaded, LocalDaysDeclared
from wenze_routing.app import MIGRATIONS

pytestmark = pytest.mark.integration

SLIP_ID = str(uuid.uuid4())
TARGET = {"kind": "person", "name": "张明", "cadre_level": "city_managed", "unit": "巴城镇", "org_level": None}
OUTCOME = {
    "consultation_required": True,
    "consultation_lead": "party_conduct_office",
    "consultation_participants": ["party_conduct_office", "case_trial_office"],
    "routing_approved_by": ["commission_leaders"],
    "handler_candidates": ["review_investigation_office"],
    "consultation_escalation": [{"step": "leaders_in_charge", "actor": "leader_in_charge", "with": []}],
    "target_class": "major",
}


async def execute(url: str, schema: str, *statements: str) -> list[tuple]:
    """Run ``statements`` in one transaction; the rows of the last."""
    engine = create_engine(url, schema=schema)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_slips_routed_before_the_upgrade_are_read_by_their_parties_and_within_authority(
    database: str, tmp_path: Path, database_url: str
) -> None:
    if database == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'routing.db'}", "routing"
    else:
        url, schema = database_url, f"routing_upgrade_{uuid.uuid4().hex[:8]}"
        asyncio.run(execute(url, "public", f'CREATE SCHEMA "{schema}"'))
    config = alembic_config(MIGRATIONS, url, schema)
    command.upgrade(config, "0006")
    now = "2026-04-30 08:00:00+00:00"
    # A slip whose consultation concluded: the handler it chose and the leaders who approved.
    asyncio.run(
        execute(
            url,
            schema,
            "INSERT INTO slips (id, tenant, number, matter_id, matter_number, state, source, summary, facts, "
            "relevant_date, targets, rule_facts, outcome, explanation, citations, opinion, handler, cc, fixed_by, "
            f"created_at, updated_at) VALUES ('{SLIP_ID}', 'kunshan', '昆纪委问分〔2026〕1号', '{uuid.uuid4()}', "
            "'KS-2026-00001', 'routed', 'other', '摘要', '事实', '2026-04-30', "
            f"'{json.dumps([TARGET], ensure_ascii=False)}', '{{}}', '{json.dumps(OUTCOME)}', '[]', '[]', '意见', "
            f"'discipline_supervision_office', '[\"case_management_office\"]', 'consultation', '{now}', '{now}')",
            "INSERT INTO slip_timeline (slip_id, at, actor, office, action, state, detail, citations) VALUES "
            f"('{SLIP_ID}', '{now}', 'system', NULL, 'routed_by_consultation', 'routed', "
            '\'{"handler": "discipline_supervision_office", "approved_by": ["principal_leader"]}\', \'[]\')',
        )
    )

    command.upgrade(config, "head")

    rows = asyncio.run(execute(url, schema, "SELECT tenant, facet, value FROM slip_access ORDER BY facet, value"))
    assert {(facet, value) for tenant, facet, value in rows} == {
        ("level", "city_managed"),
        ("office", "case_management_office"),
        ("office", "case_trial_office"),
        ("office", "commission_leaders"),
        ("office", "discipline_supervision_office"),
        ("office", "party_conduct_office"),
        ("office", "leader_in_charge"),
        ("office", "principal_leader"),
        ("office", "review_investigation_office"),
        ("unit", "巴城镇"),
    }
    assert {tenant for tenant, *_ in rows} == {"kunshan"}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_calendar_stored_before_the_upgrade_is_told_through_the_outbox(
    database: str, tmp_path: Path, database_url: str
) -> None:
    """Services keeping a copy of the calendar learn the years loaded before routing told them."""
    if database == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'routing.db'}", "routing"
    else:
        url, schema = database_url, f"routing_calendar_{uuid.uuid4().hex[:8]}"
        asyncio.run(execute(url, "public", f'CREATE SCHEMA "{schema}"'))
    config = alembic_config(MIGRATIONS, url, schema)
    command.upgrade(config, "0010")
    year = {"year": 2027, "holidays": [{"date": "2027-01-01", "name": "元旦"}], "makeup_working_days": []}
    days = {"year": 2026, "days_off": [{"date": "2026-12-22", "name": "地方假日"}]}
    now = "2026-11-30 08:00:00+00:00"
    with system_scope("test: a database as it was before the upgrade"):
        asyncio.run(
            execute(
                url,
                schema,
                "INSERT INTO calendar_national_years (year, definition, loaded_by, loaded_at) "
                f"VALUES (2027, '{json.dumps(year, ensure_ascii=False)}', 'platform-ops', '{now}')",
                "INSERT INTO calendar_local_days (tenant, year, days, declared_by, declared_at) "
                f"VALUES ('kunshan', 2026, '{json.dumps(days, ensure_ascii=False)}', 'ks-intake', '{now}')",
            )
        )

    command.upgrade(config, "head")

    rows = asyncio.run(execute(url, schema, "SELECT subject, payload FROM outbox ORDER BY subject"))
    assert [subject for subject, _ in rows] == [
        "routing.kunshan.calendar.local_days_declared.v1",
        "routing.platform.calendar.year_loaded.v1",
    ]
    declared = LocalDaysDeclared.model_validate_json(rows[0][1])
    assert declared.tenant == "kunshan" and declared.days.off_dates == {dt.date(2026, 12, 22)}
    loaded = CalendarYearLoaded.model_validate_json(rows[1][1])
    assert loaded.year == 2027 and loaded.definition.holiday_dates == {dt.date(2027, 1, 1)}
    assert loaded.loaded_by == "platform-ops"
