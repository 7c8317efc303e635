"""Each matter's progress across every service and its timeline (report_timeline,
report_progress, report_progress_holders), with row-level security on each.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.tenancy import drop_policy_sql, tenant_policy_sql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
TABLES = ["report_timeline", "report_progress", "report_progress_holders"]


def _tenant() -> sa.Column:
    return sa.Column("tenant", sa.String(length=40), nullable=False)


def upgrade() -> None:
    op.create_table(
        "report_timeline",
        _tenant(),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("office", sa.String(length=80), nullable=True),
        sa.Column("holders", JSON, nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "event_id", name=op.f("pk_report_timeline")),
    )
    op.create_index("ix_report_timeline_matter", "report_timeline", ["tenant", "matter_id", "occurred_at"])
    op.create_table(
        "report_progress",
        _tenant(),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("stage_since", TIMESTAMP, nullable=True),
        sa.Column("last_event_at", TIMESTAMP, nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "matter_id", name=op.f("pk_report_progress")),
    )
    op.create_index("ix_report_progress_stage", "report_progress", ["tenant", "stage", "last_event_at"])
    op.create_index("ix_report_progress_last", "report_progress", ["tenant", "last_event_at"])
    op.create_table(
        "report_progress_holders",
        _tenant(),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "matter_id", "office", name=op.f("pk_report_progress_holders")),
    )
    op.create_index("ix_report_progress_holders_office", "report_progress_holders", ["tenant", "office"])
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in drop_policy_sql(table):
                op.execute(statement)
    for table in reversed(TABLES):
        op.drop_table(table)
