"""Engines on PostgreSQL as the processes use them: a worker's has every statement planned for
its own parameters, an API's keeps PostgreSQL's plan cache as it is."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from wenze.db import create_engine

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("plan_each_statement", "mode"), [(True, "force_custom_plan"), (False, "auto")])
async def test_a_workers_engine_plans_each_statement(database_url: str, plan_each_statement: bool, mode: str) -> None:
    engine = create_engine(database_url, schema="public", plan_each_statement=plan_each_statement)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW plan_cache_mode")) == mode
    finally:
        await engine.dispose()
