"""Tenant scope on real PostgreSQL, as an application role under the tenant policies: every
transaction of a unit of work carries its scope's tenant, none carries one by default (and
then nothing is found), system scope is asked for by name and never reached from an HTTP
request, and a setting made outside a transaction never outlives its connection's use."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Column, MetaData, String, Table, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wenze.auth import Principal, get_principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.base import among
from wenze.db.roles import ensure_login_role, grant_statements
from wenze.db.tenancy import ScopeRefused, parent_policy_sql, system_scope, tenant_policy_sql, tenant_scope
from wenze.http.problems import install_problem_handlers
from wenze.http.tenancy import RequestTenancyMiddleware
from wenze_devtools.testing.fixtures import in_process_verifier
from wenze_devtools.testing.issuer import Issuer

pytestmark = pytest.mark.integration

# A role of these tests' own, created if missing and never dropped: roles are shared by every
# database of the server, and other sessions' tests may be using it.
ROLE = "wenze_shared_tests"
ROWS = {"kunshan": 3, "jintan": 2}


def _repositories(session: AsyncSession) -> AsyncSession:
    return session


@pytest.fixture
async def app_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine as an application role on a schema of its own: ``cases`` (tenant column) and
    ``notes`` (rows of a case), under the tenant policies, with rows of two tenants."""
    schema = f"tenancy_{uuid.uuid4().hex[:8]}"
    owner = create_engine(database_url, schema=schema)
    async with owner.connect() as conn:
        await ensure_login_role(conn, ROLE)
    async with owner.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.execute(text("CREATE TABLE cases (id text PRIMARY KEY, tenant varchar(40) NOT NULL)"))
        await conn.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, case_id text REFERENCES cases(id))"))
        for statement in [*tenant_policy_sql("cases"), *parent_policy_sql("notes", "cases", "case_id")]:
            await conn.execute(text(statement))
        for statement in grant_statements(schema, ROLE, {"cases", "notes"}):
            await conn.execute(text(statement))
        for tenant, count in ROWS.items():
            for n in range(count):
                await conn.execute(
                    text("INSERT INTO cases VALUES (:id, :tenant)"), {"id": f"{tenant}-{n}", "tenant": tenant}
                )
                await conn.execute(text("INSERT INTO notes (case_id) VALUES (:id)"), {"id": f"{tenant}-{n}"})
    await owner.dispose()
    url = make_url(database_url).set(username=ROLE, password=None).render_as_string(hide_password=False)
    engine = create_engine(url, schema=schema, pool_size=1)
    yield engine
    await engine.dispose()


async def _seen(session: AsyncSession) -> tuple[Any, list[str], int]:
    setting = await session.scalar(text("SELECT current_setting('wenze.tenant', true)"))
    tenants = sorted(set((await session.scalars(text("SELECT tenant FROM cases"))).all()))
    notes = int(await session.scalar(text("SELECT count(*) FROM notes")) or 0)
    return setting, tenants, notes


async def test_every_transaction_of_a_unit_of_work_carries_its_tenant(app_engine: AsyncEngine) -> None:
    units_of_work = UnitOfWorkFactory(app_engine, _repositories)
    with tenant_scope("kunshan"):
        async with units_of_work() as uow:
            assert await _seen(uow.session) == ("kunshan", ["kunshan"], ROWS["kunshan"])
            await uow.commit()
            # The session begins again; the new transaction carries the tenant too.
            assert await _seen(uow.session) == ("kunshan", ["kunshan"], ROWS["kunshan"])
            await uow.rollback()
            assert await _seen(uow.session) == ("kunshan", ["kunshan"], ROWS["kunshan"])


async def test_without_a_tenant_nothing_is_found(app_engine: AsyncEngine) -> None:
    units_of_work = UnitOfWorkFactory(app_engine, _repositories)
    async with units_of_work() as uow:
        assert await _seen(uow.session) == ("", [], 0)
    # A connection used outside any unit of work has no tenant either.
    async with app_engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM cases")) == 0


async def test_a_system_job_names_its_scope_and_sees_every_tenant(app_engine: AsyncEngine) -> None:
    units_of_work = UnitOfWorkFactory(app_engine, _repositories)
    async with units_of_work.system("tenancy test sweep") as uow:
        assert await _seen(uow.session) == ("*", sorted(ROWS), sum(ROWS.values()))
    with tenant_scope("kunshan"), pytest.raises(ScopeRefused):
        units_of_work.system("tenancy test sweep")


async def test_a_batch_of_keys_is_looked_up_in_the_index_under_the_tenant_policy(app_engine: AsyncEngine) -> None:
    """``among`` as asyncpg sends it (a statement parsed with untyped parameters), planned
    generically as PostgreSQL plans a statement it keeps: the keys must be an index condition,
    not a filter tested after the policy on every row of the table."""
    cases = Table("cases", MetaData(), Column("id", String(36), primary_key=True), Column("tenant", String(40)))
    units_of_work = UnitOfWorkFactory(app_engine, _repositories)
    with tenant_scope("kunshan"):
        async with units_of_work() as uow:
            wanted = select(cases.c.tenant).where(among(uow.session, cases.c.id, ["kunshan-0", "kunshan-1"]))
            sql = str(wanted.compile(dialect=app_engine.dialect))
            await uow.session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            # The table holds five rows: a scan would win on cost alone, whatever the condition.
            await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
            await uow.session.execute(text(f"PREPARE batch_probe AS {sql}"))
            keys = "('{kunshan-0,kunshan-1}')"
            plan = "\n".join((await uow.session.scalars(text(f"EXPLAIN EXECUTE batch_probe{keys}"))).all())
            found = (await uow.session.scalars(text(f"EXECUTE batch_probe{keys}"))).all()
    assert found == ["kunshan", "kunshan"]
    assert "Index Cond: (id = ANY" in plan, plan


async def test_a_tenant_set_outside_a_transaction_is_gone_before_the_connection_serves_again(
    app_engine: AsyncEngine,
) -> None:
    units_of_work = UnitOfWorkFactory(app_engine, _repositories)
    with tenant_scope("jintan"):
        async with units_of_work() as uow:
            # As intake registers a submission: each statement its own transaction.
            await uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
            assert await _seen(uow.session) == ("jintan", ["jintan"], ROWS["jintan"])
    async with app_engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_backend_pid()")) == pid, "the pool's one connection again"
        assert await conn.scalar(text("SELECT current_setting('wenze.tenant', true)")) in ("", None)
        assert await conn.scalar(text("SELECT count(*) FROM cases")) == 0


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.build(["wenze-kunshan", "wenze-jintan"], base_url="http://issuer.test")


@pytest.fixture
async def client(app_engine: AsyncEngine, issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    """An app as the services build theirs: problems, the request's tenancy, the auth dependency."""
    units_of_work = UnitOfWorkFactory(app_engine, _repositories)
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestTenancyMiddleware)

    @app.get("/seen")
    async def seen(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, Any]:
        async with units_of_work() as uow:
            setting, tenants, notes = await _seen(uow.session)
        return {"setting": setting, "tenants": tenants, "notes": notes}

    @app.get("/anonymous")
    async def anonymous() -> dict[str, Any]:
        async with units_of_work() as uow:
            setting, tenants, notes = await _seen(uow.session)
        return {"setting": setting, "tenants": tenants, "notes": notes}

    @app.post("/sweep")
    async def sweep(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, Any]:
        async with units_of_work.system("sweep from a request") as uow:
            return {"setting": await uow.session.scalar(text("SELECT current_setting('wenze.tenant', true)"))}

    async with in_process_verifier(issuer) as verifier:
        app.state.token_verifier = verifier
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
            yield c


def bearer(issuer: Issuer, realm: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.mint_token(realm, client_id='wenze-api')}"}


async def test_a_requests_units_of_work_run_in_its_principals_tenant(client: httpx.AsyncClient, issuer: Issuer) -> None:
    for realm, tenant in (("wenze-kunshan", "kunshan"), ("wenze-jintan", "jintan")):
        response = await client.get("/seen", headers=bearer(issuer, realm))
        assert response.json() == {"setting": tenant, "tenants": [tenant], "notes": ROWS[tenant]}
    anonymous = await client.get("/anonymous")
    assert anonymous.json() == {"setting": "", "tenants": [], "notes": 0}


async def test_a_request_never_runs_in_system_scope(client: httpx.AsyncClient, issuer: Issuer) -> None:
    response = await client.post("/sweep", headers=bearer(issuer, "wenze-kunshan"))
    assert response.status_code == 500
    assert "*" not in response.text
    # The request's tenant ended with it: this context may still ask for system scope.
    with system_scope("after the request"):
        pass
