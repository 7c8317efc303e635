"""The read model over every service's events, and the case library's marks, with row-level
security on each (docs/adr/0018-row-level-security-and-roles.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.tenancy import drop_policy_sql, tenant_policy_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

# Tables with a tenant column: each row is seen and written only in its tenant's scope.
TENANT_TABLES = [
    "report_matters",
    "report_slips",
    "report_decisions",
    "report_measures",
    "report_deadlines",
    "report_executions",
    "report_appeals",
    "report_matter_access",
    "case_marks",
]


def _tenant() -> sa.Column:
    return sa.Column("tenant", sa.String(length=40), nullable=False)


def upgrade() -> None:
    op.create_table(
        "report_matters",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=True),
        sa.Column("proposed_form", sa.String(length=80), nullable=True),
        sa.Column("key_supervised", sa.Boolean(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("targets", JSON, nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("rejected_on", sa.Date(), nullable=True),
        sa.Column("rejection", sa.String(length=20), nullable=True),
        sa.Column("routed_on", sa.Date(), nullable=True),
        sa.Column("consultation_requested_on", sa.Date(), nullable=True),
        sa.Column("consultation_concluded_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_report_matters")),
    )
    for name, column in (
        ("received", "received_on"),
        ("accepted", "accepted_on"),
        ("routed", "routed_on"),
        ("decided", "decided_on"),
    ):
        op.create_index(f"ix_report_matters_{name}", "report_matters", ["tenant", column])
    op.create_table(
        "report_slips",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("handler", sa.String(length=80), nullable=True),
        sa.Column("fixed_by", sa.String(length=40), nullable=False),
        sa.Column("routed_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_report_slips")),
    )
    op.create_index("ix_report_slips_routed", "report_slips", ["tenant", "routed_on", "decided_on", "handler"])
    op.create_index("ix_report_slips_decided", "report_slips", ["tenant", "decided_on", "handler"])
    op.create_index(op.f("ix_report_slips_matter_id"), "report_slips", ["matter_id"])
    op.create_table(
        "report_decisions",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("simplified_procedure", sa.Boolean(), nullable=False),
        sa.Column("measures", JSON, nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_report_decisions")),
    )
    op.create_index("ix_report_decisions_decided", "report_decisions", ["tenant", "decided_on"])
    op.create_index(op.f("ix_report_decisions_matter_id"), "report_decisions", ["matter_id"])
    op.create_table(
        "report_measures",
        _tenant(),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("target_index", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=80), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=80), nullable=True),
        sa.Column("unit", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "decision_id", "target_index", "measure", name=op.f("pk_report_measures")),
    )
    op.create_index("ix_report_measures_decided", "report_measures", ["tenant", "decided_on"])
    op.create_table(
        "report_deadlines",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column("duty", sa.String(length=80), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_notified", sa.Boolean(), nullable=False),
        sa.Column("missed", sa.Boolean(), nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_report_deadlines")),
    )
    op.create_index("ix_report_deadlines_due", "report_deadlines", ["tenant", "due_on"])
    op.create_table(
        "report_executions",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("measure", sa.String(length=80), nullable=True),
        sa.Column("office", sa.String(length=80), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_report_executions")),
    )
    op.create_table(
        "report_appeals",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_report_appeals")),
    )
    op.create_table(
        "report_matter_access",
        _tenant(),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("facet", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "matter_id", "facet", "value", name=op.f("pk_report_matter_access")),
    )
    op.create_table(
        "case_marks",
        _tenant(),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.String(length=255), nullable=False),
        sa.Column("marked_at", TIMESTAMP, nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        sa.Column("changed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("tenant", "decision_id", name=op.f("pk_case_marks")),
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
