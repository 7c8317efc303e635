"""The audit log's tables and their append-only triggers, as each service's migrations create
and change them.

Called from those revisions, so each function is that step as released and must not change:
a later change is a new function here and a new revision of each service calling it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.audit import append_only_ddl
from wenze.db.tenancy import tenant_policy_sql

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("office", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_kind", sa.String(length=60), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "seq", name=op.f("pk_audit_log")),
    )
    for statement in _FIRST_APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)


_FIRST_APPEND_ONLY_DDL: dict[str, list[str]] = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
    ],
}


def drop_audit_log() -> None:
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")


_ENTRY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CONTENT = "tenant, recorded_at, actor, office, action, object_kind, object_id, client_address, detail"


def move_chain_out_of_audit_log() -> None:
    """Entries get a database-assigned id and keep only their content; the chain moves to
    ``audit_chain`` (ADR 0014, amended). Every existing entry is carried over with its chain
    link unchanged (same sequence number and hashes), so verification stays exact across the
    change. Needs the row-level security of the service's earlier revision (PostgreSQL)."""
    dialect = op.get_bind().dialect.name
    op.rename_table("audit_log", "audit_log_chained")
    if dialect == "postgresql":
        # Index names are per schema: the new table takes the old primary key's name.
        op.execute("ALTER TABLE audit_log_chained RENAME CONSTRAINT pk_audit_log TO pk_audit_log_chained")
    else:
        # SQLite's trigger names are per schema too.
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.create_table(
        "audit_log",
        sa.Column("id", _ENTRY_ID, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("office", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_kind", sa.String(length=60), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "audit_chain",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry_id", _ENTRY_ID, nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_chain_entry_id")),
    )
    # Ids in chain order, so the carried-over entries keep their order by id as well.
    order = "row_number() OVER (ORDER BY tenant, seq)"
    op.execute(f"INSERT INTO audit_log (id, {_CONTENT}) SELECT {order}, {_CONTENT} FROM audit_log_chained")
    op.execute(
        "INSERT INTO audit_chain (tenant, seq, entry_id, previous_hash, entry_hash) "
        f"SELECT tenant, seq, {order}, previous_hash, entry_hash FROM audit_log_chained"
    )
    op.drop_table("audit_log_chained")
    if dialect == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), max(id)) FROM audit_log")
    for table in ("audit_log", "audit_chain"):
        for statement in append_only_ddl(dialect, table):
            op.execute(statement)
        if dialect == "postgresql":
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def put_chain_back_into_audit_log() -> None:
    """The reverse of :func:`move_chain_out_of_audit_log`; refused while an entry is unchained
    (it would have no place in the old table's chain)."""
    dialect = op.get_bind().dialect.name
    unchained = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)"
        )
    )
    if unchained:
        raise RuntimeError(
            f"{unchained} audit entries are not chained yet: run a worker until they are, then downgrade"
        )
    op.rename_table("audit_log", "audit_log_entries")
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_log_entries RENAME CONSTRAINT pk_audit_log TO pk_audit_log_entries")
    else:
        for table in ("audit_log", "audit_chain"):
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
    create_audit_log()
    content = ", ".join(f"e.{column.strip()}" for column in _CONTENT.split(","))
    op.execute(
        f"INSERT INTO audit_log (seq, previous_hash, entry_hash, {_CONTENT}) "
        f"SELECT c.seq, c.previous_hash, c.entry_hash, {content} "
        "FROM audit_chain c JOIN audit_log_entries e ON e.id = c.entry_id"
    )
    op.drop_table("audit_chain")
    op.drop_table("audit_log_entries")
    if dialect == "postgresql":
        for statement in tenant_policy_sql("audit_log"):
            op.execute(statement)
