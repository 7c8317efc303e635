"""PostgreSQL roles: the role a service runs as, and what it may do in its schema (ADR 0018).

A service connects with its database URL and migrates with its migration URL (by default the
same). When the two name different roles, the migrating role owns the schema and the service's
role is an application role: no superuser, no ``BYPASSRLS``, so the tenant policies hold for
it; it may read and write the service's tables, but only read and append to the audit log.
The grants are applied after every migration (:func:`grant_statements`), and default
privileges cover tables a later migration adds before that.

``wenze db roles`` creates the application roles (:func:`ensure_login_role`); the test
infrastructure and ``make run`` on PostgreSQL do the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

# Tables the application role may read and add to, never change: ADR 0014's audit log and its chain. The
# triggers refuse changes too; the missing privilege holds even if they are disabled.
APPEND_ONLY_TABLES = ("audit_log", "audit_chain")
# Alembic's own table: the migrating role's business.
READ_ONLY_TABLES = ("alembic_version",)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleNameRefused(ValueError):
    pass


def checked_role(name: str) -> str:
    """``name`` if it is a plain lowercase identifier: roles are written into statements."""
    if not _ROLE_NAME.match(name):
        raise RoleNameRefused(
            f"role name {name[:63]!r} is not a lowercase identifier (letters, digits and _, at most 63)"
        )
    return name


def role_of(database_url: str) -> str | None:
    """The role ``database_url`` connects as; ``None`` for SQLite or a URL without a user."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.username


def app_role(database_url: str, migration_database_url: str) -> str | None:
    """The application role to grant to: the database URL's role when the migration URL
    connects as another one; ``None`` when one role does both (a single-URL setup)."""
    role = role_of(database_url)
    if role is None or role == role_of(migration_database_url):
        return None
    return checked_role(role)


def grant_statements(schema: str, role: str, tables: set[str]) -> list[str]:
    """What ``role`` may do in ``schema``, whose tables are ``tables``; every statement is idempotent."""
    s, r = _ident(schema), _ident(checked_role(role))
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Tables and sequences the migrating role creates later start with the same grants.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {s}.{_ident(t)} FROM {r}" for t in APPEND_ONLY_TABLES if t in tables
    ]
    statements += [
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {s}.{_ident(t)} FROM {r}" for t in READ_ONLY_TABLES if t in tables
    ]
    return statements


def grant_app_role(connection: Connection, schema: str, role: str) -> None:
    """Apply :func:`grant_statements` in the connection's transaction (the migration's)."""
    tables = set(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema}
        ).scalars()
    )
    for statement in grant_statements(schema, role, tables):
        connection.execute(text(statement))


@dataclass(frozen=True)
class RoleState:
    name: str
    created: bool
    can_login: bool
    superuser: bool
    bypasses_rls: bool

    @property
    def fit_for_a_service(self) -> bool:
        return self.can_login and not self.superuser and not self.bypasses_rls


# Any role a service connects as must be unable to escape the tenant policies.
_ATTRIBUTES = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT"
# Another session created the role first: CREATE ROLE then fails with one of these.
_ALREADY_THERE = {"42710", "23505"}  # duplicate_object, unique_violation (pg_authid's index)


async def ensure_login_role(connection: AsyncConnection, role: str, *, password: str | None = None) -> RoleState:
    """Create ``role`` as an application role if it does not exist; an existing role that is a
    superuser or bypasses row-level security loses that. Safe to run concurrently (roles belong
    to the whole server, so sessions on other databases may be creating the same one); a
    password given replaces the role's. Commits on ``connection``."""
    name = checked_role(role)
    try:
        async with connection.begin_nested():
            await connection.execute(text(f"CREATE ROLE {_ident(name)} {_ATTRIBUTES}"))
        created = True
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) not in _ALREADY_THERE:
            raise
        created = False
    attributes = await _attributes(connection, name)
    assert attributes is not None
    can_login, superuser, bypasses = attributes
    # Altered only when wrong: ALTER ROLE on a role in use elsewhere is harmless, but two
    # sessions altering the same role at once can fail with "tuple concurrently updated".
    if superuser or bypasses or not can_login:
        await connection.execute(text(f"ALTER ROLE {_ident(name)} LOGIN NOSUPERUSER NOBYPASSRLS"))
    if password is not None:
        statement = await connection.scalar(
            text("SELECT format('ALTER ROLE %I PASSWORD %L', CAST(:role AS text), CAST(:password AS text))"),
            {"role": name, "password": password},
        )
        await connection.execute(text(str(statement)))
    await connection.commit()
    final = await _attributes(connection, name)
    assert final is not None
    return RoleState(name, created=created, can_login=final[0], superuser=final[1], bypasses_rls=final[2])


async def _attributes(connection: AsyncConnection, role: str) -> tuple[bool, bool, bool] | None:
    row = (
        await connection.execute(
            text("SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
        )
    ).first()
    return None if row is None else (bool(row[0]), bool(row[1]), bool(row[2]))


async def current_role_bypasses_rls(connection: AsyncConnection) -> bool:
    """Whether the connection's role escapes row-level security (superuser or ``BYPASSRLS``)."""
    return bool(
        await connection.scalar(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))
    )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
