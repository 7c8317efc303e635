"""Row-level security across every service's schema (ADR 0018), through the services' own roles.

A database of its own, migrated by each service as the owner, holding rows of Kunshan and
Jintan written by the services' code as their application roles. Then, as those roles:
queries without any tenant filter find the scope's tenant's rows only, and none without a
tenant; another tenant's rows can be neither written nor moved to; the audit log cannot be
changed, for want of the privilege. And the catalog: every table of every service schema is
either under a tenant policy or listed below with the reason it holds no tenant's rows, so a
table added later fails here until its migration calls ``wenze.db.tenancy.enable_tenant_rls``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.auth import Principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.audit import AuditRecord, chain_pending
from wenze.db.common import CommonRepositories
from wenze.db.migrations import upgrade
from wenze.db.numbering import reserve_numbers
from wenze.db.tenancy import tenant_scope
from wenze.events import MatterAccepted, TargetSnapshot
from wenze.messaging.streams import SERVICES
from wenze_devtools.testing.infra import app_role, as_app_role, fresh_database

pytestmark = pytest.mark.integration

TENANTS = ("kunshan", "jintan")
SCHEMAS = {service: service.replace("-", "_") for service in SERVICES}

# Tables of a service schema without a tenant's rows, and why; any other table must be under
# a tenant policy (its own tenant column, or its parent's through its reference).
WITHOUT_TENANT = {
    "alembic_version": "the schema's migration revision",
    "outbox": "events on their way to NATS; the relay reads them for every tenant",
    "inbox": "ids of events already applied",
    "calendar_national_years": "the national calendar, platform data (ADR 0011)",
    "routing_calendar_years": "review's copy of the national calendar, platform data (ADR 0031)",
}

# (schema, table) the seed writes for both tenants, and a tenant filter-free query per table.
TENANT_TABLES = [
    ("intake", "matters"),
    ("intake", "number_counters"),
    ("intake", "idempotency_keys"),
    ("intake", "audit_log"),
    ("intake", "audit_chain"),
    ("intake", "counted_decisions"),
    ("intake", "trigger_firings"),
    ("routing", "slips"),
    ("routing", "number_counters"),
    ("review", "number_counters"),
    ("review", "audit_log"),
    ("review", "audit_chain"),
    ("notification", "idempotency_keys"),
    ("reporting", "audit_log"),
    ("reporting", "audit_chain"),
    ("sanction_execution", "idempotency_keys"),
]
# Child tables, and the parent whose tenant their rows follow.
CHILD_TABLES = [
    ("intake", "targets", "matters", "matter_id"),
    ("intake", "timeline", "matters", "matter_id"),
    ("routing", "slip_timeline", "slips", "slip_id"),
]

KUNSHAN_TARGET = {
    "kind": "person",
    "name": "钱国强",
    "post": "副局长",
    "unit": "市住房和城乡建设局",
    "cadre_level": "city_managed",
    "sector": "city_department",
    "party_member": True,
}
JINTAN_TARGET = {
    "kind": "person",
    "name": "王小明",
    "post": "科员",
    "unit": "区教育局",
    "cadre_level": "staff",
    "sector": "administrative_organ",
    "party_member": True,
}
# The schemas with document numbers.
NUMBERED = ("intake", "routing", "review")
SUBMISSIONS = {"kunshan": ("city_government", KUNSHAN_TARGET), "jintan": ("public_complaint", JINTAN_TARGET)}


def module(service: str, name: str):
    return importlib.import_module(f"wenze_{SCHEMAS[service]}.{name}")


def principal(tenant: str) -> Principal:
    return Principal(
        tenant=tenant,
        subject=f"{tenant}-rls",
        username=f"{tenant}-rls",
        roles=frozenset({"matter:submit", "matter:read"}),
        office="party_conduct_office",
    )


@pytest.fixture(scope="module")
def owner_url() -> Iterator[str]:
    """A database with every service migrated by its owner, granting its application role."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
async def engines(owner_url: str) -> AsyncIterator[dict[str, AsyncEngine]]:
    """Each service's engine as its application role, on the migrated database."""
    for service in SERVICES:
        await upgrade(module(service, "app").MIGRATIONS, owner_url, SCHEMAS[service], app_role=app_role(service))
    made = {
        SCHEMAS[service]: create_engine(as_app_role(owner_url, service), schema=SCHEMAS[service])
        for service in SERVICES
    }
    yield made
    for engine in made.values():
        await engine.dispose()


@pytest.fixture(scope="module")
async def seeded(engines: dict[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory) -> dict[str, AsyncEngine]:
    """Rows of both tenants, written by the services' code in each tenant's scope."""
    from wenze_intake.app import IntakeServices
    from wenze_intake.audit import Caller
    from wenze_intake.config import IntakeSettings
    from wenze_intake.matters.schemas import MatterCreate
    from wenze_intake.repositories import make_repositories as intake_repositories
    from wenze_routing.calendar.service import CalendarService
    from wenze_routing.repositories import make_repositories as routing_repositories
    from wenze_routing.slips.service import RoutingService

    intake_uow = UnitOfWorkFactory(engines["intake"], intake_repositories)
    matters = IntakeServices.build(IntakeSettings(data_dir=tmp_path_factory.mktemp("rls")), intake_uow).matters
    routing_uow = UnitOfWorkFactory(engines["routing"], routing_repositories)
    routing = RoutingService(routing_uow, CalendarService(routing_uow, seed_dir=None))
    today = dt.date.today()
    for tenant in TENANTS:
        source, target = SUBMISSIONS[tenant]
        with tenant_scope(tenant):
            body = {
                "source": source,
                "source_reference": f"RLS-{uuid.uuid4().hex[:12]}",
                "summary": "落实主体责任不力",
                "facts": "经核查，相关人员履职不到位。",
                "targets": [target],
            }
            read = await matters.submit(Caller(principal(tenant)), MatterCreate.model_validate(body), None)
            await routing.route_accepted(
                MatterAccepted(
                    tenant=tenant,
                    matter_id=uuid.UUID(read.id),
                    number=read.number,
                    source=source,
                    summary=body["summary"],
                    facts=body["facts"],
                    key_supervised=False,
                    proposed_form=None,
                    targets=[TargetSnapshot(**target)],
                    relevant_date=today,
                    study_date=today,
                    participants=["甲"],
                    accepted_by=f"{tenant}-rls",
                )
            )
            # What intake counts of review's decisions, and a trigger fired on the counts.
            async with intake_uow() as uow:
                counted = {"tenant": tenant, "organisation": target["unit"], "decision_id": str(uuid.uuid4())}
                await uow.repos.counted_triggers.count(
                    [
                        {
                            **counted,
                            "target_index": 0,
                            "decision_number": f"RLS-{tenant}",
                            "matter_id": read.id,
                            "matter_number": read.number,
                            "decided_on": today,
                            "party_sanction": "expulsion",
                            "leading_group_member": True,
                            "major_case": False,
                        }
                    ]
                )
                await uow.repos.counted_triggers.claim(
                    [
                        {
                            "tenant": tenant,
                            "organisation": target["unit"],
                            "decision": "rls",
                            "window_start": today,
                            "trigger": "rls",
                            "window_end": today + dt.timedelta(days=1),
                            "fired_on": today,
                            "matter_id": read.id,
                            "counted": [counted],
                            "citations": [],
                        }
                    ]
                )
                await uow.commit()
            for schema, engine in engines.items():
                uow_factory = UnitOfWorkFactory(engine, CommonRepositories.for_session)
                async with uow_factory() as uow:
                    uow.repos.idempotency.store(tenant, f"rls-{schema}", "f" * 64, 201, {"ok": True})
                    await uow.repos.audit.append(tenant, [AuditRecord(f"{tenant}-rls", "rls.seed", "schema", schema)])
                    if schema in NUMBERED:
                        await reserve_numbers(uow.session, tenant, "rls", today.year)
                    await uow.commit()
    # The worker's chainer, as the application role: every tenant's entries, in system scope.
    for engine in engines.values():
        assert await chain_pending(engine) >= len(TENANTS)
    return engines


async def query(engine: AsyncEngine, tenant: str | None, sql: str) -> list:
    """``sql`` in a unit of work of the service's role, in ``tenant``'s scope (or none)."""
    uow_factory = UnitOfWorkFactory(engine, CommonRepositories.for_session)
    if tenant is None:
        async with uow_factory() as uow:
            return list((await uow.session.execute(text(sql))).all())
    with tenant_scope(tenant):
        async with uow_factory() as uow:
            return list((await uow.session.execute(text(sql))).all())


@pytest.mark.parametrize(("schema", "table"), TENANT_TABLES)
async def test_a_query_without_a_tenant_filter_finds_the_scopes_tenant_only(
    seeded: dict[str, AsyncEngine], schema: str, table: str
) -> None:
    engine = seeded[schema]
    for tenant in TENANTS:
        tenants = {row[0] for row in await query(engine, tenant, f"SELECT tenant FROM {table}")}
        assert tenants == {tenant}, f"{schema}.{table} in {tenant}'s scope"
    assert await query(engine, None, f"SELECT * FROM {table}") == [], f"{schema}.{table} without a tenant"


@pytest.mark.parametrize(("schema", "table", "parent", "column"), CHILD_TABLES)
async def test_rows_of_a_tenants_parent_follow_their_parent(
    seeded: dict[str, AsyncEngine], owner_url: str, schema: str, table: str, parent: str, column: str
) -> None:
    engine = seeded[schema]
    owner = create_engine(owner_url, schema=schema)
    try:
        async with owner.connect() as conn:
            expected = dict(
                (
                    await conn.execute(
                        text(
                            f"SELECT p.tenant, count(*) FROM {table} c JOIN {parent} p ON p.id = c.{column} GROUP BY 1"
                        )
                    )
                ).all()
            )
    finally:
        await owner.dispose()
    assert set(expected) == set(TENANTS), f"the seed wrote {table} rows for both tenants"
    for tenant in TENANTS:
        assert await query(engine, tenant, f"SELECT count(*) FROM {table}") == [(expected[tenant],)]
    assert await query(engine, None, f"SELECT count(*) FROM {table}") == [(0,)]


def refusal(error: DBAPIError) -> str:
    return str(error.orig)


@pytest.mark.parametrize("schema", ["intake", "routing", "review"])
async def test_another_tenants_row_can_be_neither_written_nor_changed(
    seeded: dict[str, AsyncEngine], schema: str
) -> None:
    engine = seeded[schema]
    uow_factory = UnitOfWorkFactory(engine, CommonRepositories.for_session)
    with tenant_scope("kunshan"):
        async with uow_factory() as uow:
            with pytest.raises(DBAPIError) as inserted:
                await uow.session.execute(
                    text("INSERT INTO number_counters (tenant, kind, year, last) VALUES ('jintan', 'forged', 2026, 1)")
                )
        assert "row-level security" in refusal(inserted.value)
        async with uow_factory() as uow:
            with pytest.raises(DBAPIError) as moved:
                await uow.session.execute(text("UPDATE number_counters SET tenant = 'jintan'"))
        assert "row-level security" in refusal(moved.value)
        async with uow_factory() as uow:
            # Jintan's rows are not there to change or delete: nothing happens to them.
            changed = await uow.session.execute(text("UPDATE number_counters SET last = 0 WHERE tenant = 'jintan'"))
            deleted = await uow.session.execute(text("DELETE FROM idempotency_keys WHERE tenant = 'jintan'"))
            assert (changed.rowcount, deleted.rowcount) == (0, 0)
            await uow.commit()
    assert len(await query(engine, "jintan", "SELECT * FROM idempotency_keys")) == 1


@pytest.mark.parametrize(
    ("table", "change"), [("audit_log", "actor = 'someone else'"), ("audit_chain", "seq = seq + 1")]
)
@pytest.mark.parametrize("schema", list(SCHEMAS.values()))
async def test_the_application_role_cannot_change_the_audit_log(
    seeded: dict[str, AsyncEngine], schema: str, table: str, change: str
) -> None:
    engine = seeded[schema]
    before = await query(engine, "kunshan", f"SELECT * FROM {table} ORDER BY 1, 2")
    assert before, f"the seed wrote no row of {table} to protect"
    for statement in (f"UPDATE {table} SET {change}", f"DELETE FROM {table}", f"TRUNCATE {table}"):
        with pytest.raises(DBAPIError) as refused:
            await query(engine, "kunshan", statement)
        # The privilege is missing: refused before the append-only triggers are reached.
        assert f"permission denied for table {table}" in refusal(refused.value), statement
    assert await query(engine, "kunshan", f"SELECT * FROM {table} ORDER BY 1, 2") == before


async def test_the_application_roles_escape_no_policy(seeded: dict[str, AsyncEngine]) -> None:
    for schema, engine in seeded.items():
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                )
            ).one()
        assert row == (app_role(schema), False, False)


async def test_a_services_role_reaches_no_other_services_schema(seeded: dict[str, AsyncEngine]) -> None:
    async with seeded["routing"].connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            await conn.execute(text("SELECT count(*) FROM intake.matters"))
    assert "permission denied for schema intake" in refusal(refused.value)


async def test_every_table_of_every_service_schema_is_under_a_tenant_policy_or_listed(
    engines: dict[str, AsyncEngine], owner_url: str
) -> None:
    owner = create_engine(owner_url, schema="public")
    try:
        async with owner.connect() as conn:
            tables = (
                await conn.execute(
                    text(
                        """
                        SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
                               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                       AND a.attname = 'tenant' AND NOT a.attisdropped),
                               ARRAY(SELECT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid)
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p')
                        """
                    ),
                    {"schemas": list(SCHEMAS.values())},
                )
            ).all()
    finally:
        await owner.dispose()
    assert {schema for schema, *_ in tables} == set(SCHEMAS.values())
    problems = []
    for schema, table, enabled, forced, has_tenant, commands in tables:
        protected = enabled and forced and commands
        if has_tenant and not (protected and "*" in commands):
            problems.append(f"{schema}.{table} has a tenant column but no tenant policy (enabled, forced, for all)")
        elif not has_tenant and not protected and table not in WITHOUT_TENANT:
            problems.append(f"{schema}.{table} has no tenant column, no parent policy, and is not listed")
        elif not has_tenant and protected and not {"r", "w", "d"} <= set(commands):
            problems.append(f"{schema}.{table} is not guarded for reads, updates and deletes")
    assert not problems, "\n".join(problems)


async def test_the_application_role_may_write_the_tables_and_only_append_to_the_audit_log(
    engines: dict[str, AsyncEngine], owner_url: str
) -> None:
    owner = create_engine(owner_url, schema="public")
    try:
        async with owner.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT schemaname, tablename, "
                        "has_table_privilege(:role_prefix || schemaname, schemaname || '.' || tablename, 'SELECT'), "
                        "has_table_privilege(:role_prefix || schemaname, schemaname || '.' || tablename, 'INSERT'), "
                        "has_table_privilege(:role_prefix || schemaname, schemaname || '.' || tablename, 'UPDATE'), "
                        "has_table_privilege(:role_prefix || schemaname, schemaname || '.' || tablename, 'DELETE') "
                        "FROM pg_tables WHERE schemaname = ANY(:schemas)"
                    ),
                    {"role_prefix": "wenze_", "schemas": list(SCHEMAS.values())},
                )
            ).all()
    finally:
        await owner.dispose()
    for schema, table, select, insert, update, delete in rows:
        expected = {
            "audit_log": (True, True, False, False),
            "audit_chain": (True, True, False, False),
            "alembic_version": (True, False, False, False),
        }.get(table, (True, True, True, True))
        assert (select, insert, update, delete) == expected, f"{schema}.{table}"


def test_the_lists_here_match_the_migrations() -> None:
    """The reasons above are the migrations' own: a table listed there is listed here. Each
    service's row-level security migration lists its tables then; a later migration that adds a
    table without a tenant lists it in its own ``WITHOUT_TENANT``."""
    listed: set[str] = set()
    for service in SERVICES:
        versions = Path(module(service, "app").MIGRATIONS) / "versions"
        assert len(list(versions.glob("*_row_level_security.py"))) == 1
        for migration in sorted(versions.glob("*.py")):
            spec = importlib.util.spec_from_file_location(f"{SCHEMAS[service]}_{migration.stem}", migration)
            assert spec is not None and spec.loader is not None
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)
            listed |= set(getattr(loaded, "WITHOUT_TENANT", {}))
    assert listed | {"alembic_version"} == set(WITHOUT_TENANT)
