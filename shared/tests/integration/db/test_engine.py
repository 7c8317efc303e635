"""Engines on PostgreSQL as the processes use them: a worker's has every statement planned for
its own parameters, an API's keeps PostgreSQL's plan cache as it is; work opened within
``reusing_plans`` lets PostgreSQL choose on a worker's engine too, for its transactions only."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.planning import reusing_plans
from wenze.db.tenancy import current_scope, tenant_scope

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("plan_each_statement", "mode"), [(True, "force_custom_plan"), (False, "auto")])
async def test_a_workers_engine_plans_each_statement(database_url: str, plan_each_statement: bool, mode: str) -> None:
    engine = create_engine(database_url, schema="public", plan_each_statement=plan_each_statement)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW plan_cache_mode")) == mode
    finally:
        await engine.dispose()


async def test_a_transaction_begun_while_reusing_plans_lets_postgresql_choose_and_only_it(database_url: str) -> None:
    # One connection: the transaction after the one that reused plans runs on the same session.
    engine = create_engine(database_url, schema="public", pool_size=1, plan_each_statement=True)
    units_of_work = UnitOfWorkFactory(engine, lambda session: session)

    async def planning_and_tenant() -> tuple[str, str]:
        async with units_of_work() as uow:
            session: AsyncSession = uow.repos
            row = (
                await session.execute(
                    text("SELECT current_setting('plan_cache_mode'), current_setting('wenze.tenant')")
                )
            ).one()
            return row[0], row[1]

    try:
        with tenant_scope("kunshan"):
            with reusing_plans():
                assert await planning_and_tenant() == ("auto", "kunshan")
            assert await planning_and_tenant() == ("force_custom_plan", "kunshan")
        assert current_scope().tenant is None
        with reusing_plans():
            # Outside any tenant's scope the tenant setting stays empty all the same.
            assert await planning_and_tenant() == ("auto", "")
    finally:
        await engine.dispose()
