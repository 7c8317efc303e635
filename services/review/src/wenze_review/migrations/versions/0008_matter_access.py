"""Who reads a matter: the facts review compares with the caller (docs/access.md), and the
authority of office members (a task is handed only to someone whose authority covers it).

``matter_access`` holds one row per office party to a matter and per level and unit of its
targets; it is filled here from the consultations, joint reviews and cases already stored,
and from then on by the service as it stores them. ``office_members.cadre_authority`` starts
empty: a member's authority is known again from their next request.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BATCH = 1000

MATTER_ACCESS = sa.table(
    "matter_access",
    sa.column("tenant", sa.String),
    sa.column("matter_id", sa.String),
    sa.column("facet", sa.String),
    sa.column("value", sa.String),
)
DELIBERATIONS = sa.table(
    "deliberations",
    sa.column("id", sa.String),
    sa.column("tenant", sa.String),
    sa.column("matter_id", sa.String),
    sa.column("lead", sa.String),
    sa.column("participants", JSON),
    sa.column("approved_by", JSON),
    sa.column("proposed_handler", sa.String),
    sa.column("escalation", JSON),
    sa.column("targets", JSON),
)
CASES = sa.table(
    "cases",
    sa.column("id", sa.String),
    sa.column("tenant", sa.String),
    sa.column("matter_id", sa.String),
    sa.column("handler", sa.String),
    sa.column("cc", JSON),
    sa.column("investigated_by", sa.String),
    sa.column("investigated_with", JSON),
    sa.column("start_approved_by", JSON),
    sa.column("decided_by", JSON),
    sa.column("requirements", JSON),
    sa.column("targets", JSON),
)


def upgrade() -> None:
    op.create_table(
        "matter_access",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("facet", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "matter_id", "facet", "value", name=op.f("pk_matter_access")),
    )
    with op.batch_alter_table("office_members") as batch:
        batch.add_column(sa.Column("cadre_authority", JSON, server_default=sa.text("'[]'"), nullable=False))
    _backfill(DELIBERATIONS, _deliberation_facts)
    _backfill(CASES, _case_facts)


def downgrade() -> None:
    with op.batch_alter_table("office_members") as batch:
        batch.drop_column("cadre_authority")
    op.drop_table("matter_access")


def _backfill(table: sa.TableClause, facts: Callable[[Any], Iterable[tuple[str, str]]]) -> None:
    """The facts of every row of ``table``, a batch at a time (keyset on ``id``, no open cursor)."""
    connection = op.get_bind()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for rows in _batches(connection, table):
        values = {(row.tenant, row.matter_id, facet, value) for row in rows for facet, value in facts(row) if value}
        if values:
            connection.execute(
                insert(MATTER_ACCESS).on_conflict_do_nothing(),
                [{"tenant": t, "matter_id": m, "facet": f, "value": v} for t, m, f, v in sorted(values)],
            )


def _batches(connection: sa.Connection, table: sa.TableClause) -> Iterator[list[Any]]:
    after = None
    while True:
        stmt = sa.select(table).order_by(table.c.id).limit(BATCH)
        if after is not None:
            stmt = stmt.where(table.c.id > after)
        rows = list(connection.execute(stmt))
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _targets(targets: Any) -> Iterator[tuple[str, str]]:
    for target in targets or []:
        yield "level", target.get("cadre_level")
        yield "level", target.get("org_level")
        yield "unit", target.get("unit")


def _offices(*offices: Any) -> Iterator[tuple[str, str]]:
    for office in offices:
        if isinstance(office, list):
            yield from (("office", o) for o in office)
        else:
            yield "office", office


def _deliberation_facts(row: Any) -> Iterator[tuple[str, str]]:
    levels = [office for step in row.escalation or [] for office in (step.get("actor"), *step.get("joined_by", []))]
    yield from _offices(row.lead, row.participants or [], row.approved_by or [], row.proposed_handler, levels)
    yield from _targets(row.targets)


def _case_facts(row: Any) -> Iterator[tuple[str, str]]:
    requirements = row.requirements or {}
    yield from _offices(
        row.handler,
        row.cc or [],
        row.investigated_by,
        row.investigated_with or [],
        row.start_approved_by or [],
        row.decided_by or [],
        requirements.get("approved_by") or [],
        requirements.get("decided_by") or [],
    )
    yield from _targets(row.targets)
