"""Whose rows a transaction may touch: the tenant scope, and PostgreSQL row-level security.

Every tenant table carries a ``tenant`` column and, on PostgreSQL, a row-level security
policy that admits only the rows of the tenant named by the transaction's ``wenze.tenant``
setting (ADR 0018). Services connect as a role that cannot bypass those policies, so a query
that forgets its ``tenant = :tenant`` filter still finds only the caller's rows.

The scope lives in a context variable, set where the work comes in: the authentication
dependency binds the principal's tenant for an HTTP request, the consumer runner the tenant
of each event's subject. A unit of work takes the scope in force when it opens and sets
``wenze.tenant`` at the start of each of its transactions. With no scope at all the setting
stays empty and the policies return no row: forgetting to set a tenant fails closed.

Work that legitimately spans tenants (the outbox relay, the import job runner, audit
verification, migrations) asks for :func:`system_scope` by name. It is refused inside an
HTTP request or a tenant's scope, so no request reaches every tenant's rows by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session, SessionTransaction

from wenze.db import planning

SETTING: Final = "wenze.tenant"
# What ``wenze.tenant`` holds in system scope. A tenant name is a lowercase identifier (it is
# also a NATS subject token, where ``*`` is a wildcard), so no tenant can ever be called this.
ALL_TENANTS: Final = "*"
_TENANT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# Where a session keeps the scope it was opened in.
_SESSION_KEY: Final = "wenze.tenant_scope"
POLICY: Final = "tenant_isolation"


class ScopeRefused(RuntimeError):
    """A scope asked for where it must not be: a bug in the caller, never the user's input."""


@dataclass(frozen=True, slots=True)
class TenantScope:
    """One tenant's rows (``tenant``), every tenant's rows for a named system job (``system``),
    or none (neither: no rows at all). ``in_request`` marks an HTTP request's context, where
    system scope is refused."""

    tenant: str | None = None
    system: str | None = None
    in_request: bool = False

    @property
    def setting(self) -> str:
        """The value of ``wenze.tenant`` for this scope: empty (no rows) when there is none."""
        if self.system is not None:
            return ALL_TENANTS
        return self.tenant or ""

    def describe(self) -> str:
        if self.system is not None:
            return f"system scope ({self.system})"
        return f"tenant {self.tenant}" if self.tenant else "no tenant"


NO_SCOPE: Final = TenantScope()
_scope: ContextVar[TenantScope] = ContextVar("wenze_tenant_scope", default=NO_SCOPE)


def current_scope() -> TenantScope:
    return _scope.get()


def current_tenant() -> str | None:
    return _scope.get().tenant


def is_tenant_name(value: str) -> bool:
    return bool(_TENANT_NAME.match(value))


def _checked(tenant: str) -> str:
    if not is_tenant_name(tenant):
        # Not echoed in full: it may come from a message subject or a token.
        raise ScopeRefused(f"not a tenant name: {tenant[:40]!r}")
    return tenant


@contextmanager
def tenant_scope(tenant: str) -> Iterator[TenantScope]:
    """Units of work opened in this block see ``tenant``'s rows only. Not inside system scope:
    a job that found a tenant's work in system scope leaves it first."""
    current = _scope.get()
    if current.system is not None:
        raise ScopeRefused(f"tenant scope opened inside {current.describe()}")
    if current.in_request and current.tenant not in (None, tenant):
        # A request acts for its principal's tenant and no other.
        raise ScopeRefused(f"tenant scope for another tenant opened in a request of {current.describe()}")
    scope = TenantScope(tenant=_checked(tenant), in_request=current.in_request)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def system_scope(job: str) -> Iterator[TenantScope]:
    """Units of work opened in this block see every tenant's rows, for the system job ``job``.

    Refused in an HTTP request and in a tenant's scope: only background work the platform
    runs for all tenants (relay, import job runner, verification) may ask for it."""
    if not job.strip():
        raise ScopeRefused("system scope must be asked for by name")
    current = _scope.get()
    if current.in_request or current.tenant is not None:
        raise ScopeRefused(f"system scope ({job}) refused in {current.describe()}")
    token = _scope.set(TenantScope(system=job))
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


@contextmanager
def request_scope() -> Iterator[None]:
    """An HTTP request's context: no tenant until authentication binds one, and no system
    scope at all. Restores the outer context afterwards, however the request ended."""
    token = _scope.set(TenantScope(in_request=True))
    try:
        yield
    finally:
        _scope.reset(token)


def bind_request_tenant(tenant: str) -> None:
    """The authenticated principal's tenant for the rest of this request (set by
    ``wenze.auth.authenticate``; the request's context is discarded when it ends)."""
    _scope.set(TenantScope(tenant=_checked(tenant), in_request=True))


# -- sessions ------------------------------------------------------------------------------


class TenantSession(Session):
    """A session that sets ``wenze.tenant`` at the start of every transaction it begins, from
    the scope it was opened in (:func:`open_in_scope`). A session commits and begins again;
    each transaction carries the setting, which PostgreSQL drops when that transaction ends."""


def open_in_scope(session: Any, scope: TenantScope | None = None) -> None:
    """Fix the scope of ``session`` (an ``AsyncSession`` or ``Session`` of :class:`TenantSession`)
    to ``scope``, by default the one in force now."""
    session.info[_SESSION_KEY] = scope if scope is not None else _scope.get()


# Marks a pooled connection whose session (not transaction) holds a ``wenze.tenant``.
_SESSION_LEVEL: Final = "wenze.tenant.session_level"


@event.listens_for(TenantSession, "after_begin")
def _set_tenant(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    scope: TenantScope = session.info.get(_SESSION_KEY, NO_SCOPE)
    apply_setting(connection, scope)


def apply_setting(connection: Connection, scope: TenantScope) -> None:
    """Set ``wenze.tenant`` for the connection's current transaction (PostgreSQL; nothing on
    SQLite), and within ``wenze.db.planning.reusing_plans`` the transaction's planning too.

    A connection in autocommit mode (intake registers a submission in one statement that way)
    has no transaction to hold it: the setting is made for the database session instead, and
    the connection marked, so that :func:`install` clears it before anyone else uses it."""
    if connection.dialect.name != "postgresql":
        return
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if not autocommit and planning.reuses_plans():
        # In the same round trip: the setting is the transaction's, like the tenant's.
        connection.execute(
            text("SELECT set_config(:name, :value, true), set_config(:planning, :reuse, true)"),
            {"name": SETTING, "value": scope.setting, "planning": planning.SETTING, "reuse": planning.REUSE},
        )
        return
    connection.execute(
        text("SELECT set_config(:name, :value, :local)"),
        {"name": SETTING, "value": scope.setting, "local": not autocommit},
    )
    if autocommit:
        connection.info[_SESSION_LEVEL] = True


def install(engine: Engine) -> None:
    """Clear a session-level ``wenze.tenant`` (see :func:`apply_setting`) from a pooled
    connection when it is next taken from the pool; others cost nothing."""

    @event.listens_for(engine.pool, "checkout")
    def _clear(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop(_SESSION_LEVEL, False):
            # Straight on the driver, outside any transaction: a RESET inside one that later
            # rolled back would be undone.
            dbapi_connection.run_async(lambda raw: raw.execute(f"RESET {SETTING}"))


def system_server_settings(job: str) -> dict[str, str]:
    """Connection settings for a tool that inspects every tenant's rows outside the services
    (bench and chaos checks): system scope for the whole connection, named in
    ``application_name`` so that ``pg_stat_activity`` says who it is."""
    if not job.strip():
        raise ScopeRefused("system scope must be asked for by name")
    return {SETTING: ALL_TENANTS, "application_name": f"wenze {job}"[:63]}


# -- policies, for migrations ----------------------------------------------------------------

_TENANT_CHECK = f"tenant = current_setting('{SETTING}', true) OR current_setting('{SETTING}', true) = '{ALL_TENANTS}'"


def tenant_policy_sql(table: str) -> list[str]:
    """Row-level security on ``table``, which has a ``tenant`` column: its rows are seen and
    written only in their tenant's scope (or system scope), even by the table's owner."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY} ON {table} USING ({_TENANT_CHECK}) WITH CHECK ({_TENANT_CHECK})",
    ]


def parent_policy_sql(table: str, parent: str, column: str, parent_key: str = "id") -> list[str]:
    """Row-level security on ``table``, rows of a tenant table ``parent`` without a ``tenant``
    column of their own (``table.column`` references ``parent.parent_key``): a row is seen,
    changed or deleted only where its parent is, and the parent's own policy decides that.

    Inserts are not checked against the parent: intake writes a matter and its targets in
    one statement, and a statement does not see the rows its other parts insert."""
    visible = f"EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_key} = {table}.{column})"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY}_read ON {table} FOR SELECT USING ({visible})",
        f"CREATE POLICY {POLICY}_update ON {table} FOR UPDATE USING ({visible}) WITH CHECK ({visible})",
        f"CREATE POLICY {POLICY}_delete ON {table} FOR DELETE USING ({visible})",
        f"CREATE POLICY {POLICY}_insert ON {table} FOR INSERT WITH CHECK (true)",
    ]


def drop_policy_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        *(f"DROP POLICY IF EXISTS {POLICY}_{verb} ON {table}" for verb in ("read", "update", "delete", "insert")),
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def enable_tenant_rls(
    op: Any,
    tenant_tables: list[str],
    *,
    child_tables: Mapping[str, tuple[str, str]] | None = None,
    without_tenant: Mapping[str, str],
) -> None:
    """Row-level security for a service's tables, from its migration (PostgreSQL; a no-op on SQLite).

    ``tenant_tables`` have a ``tenant`` column; ``child_tables`` map a table without one to
    ``(parent table, referencing column)``; ``without_tenant`` maps every other table to the
    reason it holds no tenant's rows. Together they must name every table of the schema at
    this revision, so a table no one thought about fails the migration."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    children = dict(child_tables or {})
    _check_accounted_for(bind, tenant_tables, children, without_tenant)
    for table in tenant_tables:
        for statement in tenant_policy_sql(table):
            op.execute(statement)
    for table, (parent, column) in children.items():
        for statement in parent_policy_sql(table, parent, column):
            op.execute(statement)


def disable_tenant_rls(op: Any, tables: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        for statement in drop_policy_sql(table):
            op.execute(statement)


def _check_accounted_for(
    bind: Connection, tenant_tables: list[str], children: Mapping[str, tuple[str, str]], without: Mapping[str, str]
) -> None:
    rows = bind.execute(
        text(
            "SELECT c.relname, bool_or(a.attname = 'tenant') FROM pg_class c "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
            "GROUP BY c.relname"
        )
    ).all()
    has_tenant = {name: bool(flag) for name, flag in rows}
    has_tenant.pop("alembic_version", None)
    named = [*tenant_tables, *children, *without]
    problems = [f"{t} is named twice" for t in set(named) if named.count(t) > 1]
    problems += [f"{t} does not exist" for t in named if t not in has_tenant]
    problems += [f"{t} has no tenant column" for t in tenant_tables if has_tenant.get(t) is False]
    problems += [f"{t} has a tenant column" for t in [*children, *without] if has_tenant.get(t)]
    problems += [f"{t} is not named" for t in sorted(set(has_tenant) - set(named))]
    if problems:
        raise RuntimeError("row-level security: every table must be accounted for: " + "; ".join(sorted(problems)))
