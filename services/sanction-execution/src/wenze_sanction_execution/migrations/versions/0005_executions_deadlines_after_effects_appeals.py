"""Executions and their steps, readers and deadlines; persons and their after-effect periods;
appeals; the counters numbering the documents steps issue. Every table holds one tenant's
rows under row-level security (ADR 0018).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.tenancy import drop_policy_sql, tenant_policy_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The tables this revision adds, each with a tenant column: seen and written only in their
# tenant's scope, like those of 0003.
TENANT_TABLES = [
    "persons",
    "executions",
    "execution_steps",
    "execution_access",
    "deadlines",
    "after_effects",
    "appeals",
    "number_counters",
]


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id(name: str = "id", **kwargs: Any) -> sa.Column:
    return sa.Column(name, sa.String(length=36), nullable=False, **kwargs)


def _tenant() -> sa.Column:
    return sa.Column("tenant", sa.String(length=40), nullable=False)


def upgrade() -> None:
    op.create_table(
        "persons",
        _id(primary_key=True),
        _tenant(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("post", sa.String(length=200), nullable=True),
        sa.Column("cadre_level", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "kind", "name", "unit", name="uq_persons_identity"),
    )
    op.create_table(
        "executions",
        _id(primary_key=True),
        _tenant(),
        _id("decision_id"),
        sa.Column("decision_number", sa.String(length=80), nullable=False),
        _id("matter_id"),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        _id("person_id"),
        sa.Column("target", _json(), nullable=False),
        sa.Column("measure", sa.String(length=60), nullable=False),
        sa.Column("office", sa.String(length=60), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("citations", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "tenant", "decision_id", "person_id", "measure", name="uq_executions_decision_person_measure"
        ),
    )
    op.create_index("ix_executions_tenant_person", "executions", ["tenant", "person_id"])
    op.create_index("ix_executions_tenant_decision", "executions", ["tenant", "decision_id"])
    op.create_table(
        "execution_steps",
        _id(primary_key=True),
        sa.Column(
            "execution_id", sa.String(length=36), sa.ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
        ),
        _tenant(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=True),
        sa.Column("joined_by", _json(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completed_by", sa.String(length=255), nullable=True),
        sa.Column("completed_office", sa.String(length=60), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("numbering", sa.String(length=60), nullable=True),
        sa.Column("document_number", sa.String(length=80), nullable=True),
        sa.Column("citations", _json(), nullable=False),
        sa.UniqueConstraint("execution_id", "code", name="uq_execution_steps_code"),
    )
    op.create_index("ix_execution_steps_execution_id", "execution_steps", ["execution_id"])
    op.create_table(
        "execution_access",
        sa.Column(
            "execution_id",
            sa.String(length=36),
            sa.ForeignKey("executions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("facet", sa.String(length=10), primary_key=True),
        sa.Column("value", sa.String(length=500), primary_key=True),
        _tenant(),
    )
    op.create_index("ix_execution_access_tenant_facet_value", "execution_access", ["tenant", "facet", "value"])
    op.create_table(
        "deadlines",
        _id(primary_key=True),
        _tenant(),
        sa.Column(
            "execution_id", sa.String(length=36), sa.ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
        ),
        _id("matter_id"),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        sa.Column("office", sa.String(length=60), nullable=False),
        sa.Column("duty", sa.String(length=60), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("remind_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("citations", _json(), nullable=False),
        sa.Column("fired_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("execution_id", "duty", name="uq_deadlines_execution_duty"),
    )
    op.create_index("ix_deadlines_execution_id", "deadlines", ["execution_id"])
    op.create_index("ix_deadlines_tenant_state_remind", "deadlines", ["tenant", "state", "remind_on"])
    op.create_index("ix_deadlines_tenant_office_state", "deadlines", ["tenant", "office", "state"])
    op.create_table(
        "after_effects",
        _id(primary_key=True),
        _tenant(),
        _id("person_id"),
        _id("decision_id"),
        sa.Column("decision_number", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("period_set_by", sa.Text(), nullable=True),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("citations", _json(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_after_effects_tenant_person", "after_effects", ["tenant", "person_id", "purpose"])
    op.create_table(
        "appeals",
        _id(primary_key=True),
        _tenant(),
        _id("decision_id"),
        sa.Column("decision_number", sa.String(length=80), nullable=False),
        _id("matter_id"),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        _id("person_id"),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("heard_by", _json(), nullable=False),
        sa.Column("suspends_execution", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("measures", _json(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("citations", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_appeals_tenant_decision_person", "appeals", ["tenant", "decision_id", "person_id"])
    op.create_table(
        "number_counters",
        _tenant(),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kind", "year", name="pk_number_counters"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in drop_policy_sql(table):
                op.execute(statement)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
