"""Counted triggers: review's decisions counted per organisation, and the triggers that fired
on the counts with the matter each opened (docs/intake.md#matters-opened-by-the-platform,
docs/adr/0024-counted-triggers.md). Both tables hold a tenant's rows under row-level security.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.tenancy import disable_tenant_rls, tenant_policy_sql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TENANT_TABLES = ["counted_decisions", "trigger_firings"]


def upgrade() -> None:
    op.create_table(
        "counted_decisions",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("target_index", sa.Integer(), nullable=False),
        sa.Column("decision_number", sa.String(length=80), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        sa.Column("organisation", sa.String(length=500), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("party_sanction", sa.String(length=60), nullable=True),
        sa.Column("leading_group_member", sa.Boolean(), nullable=False),
        sa.Column("major_case", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "decision_id", "target_index", name=op.f("pk_counted_decisions")),
    )
    op.create_index("ix_counted_decisions_organisation", "counted_decisions", ["tenant", "organisation", "decided_on"])
    op.create_table(
        "trigger_firings",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("organisation", sa.String(length=500), nullable=False),
        sa.Column("decision", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=80), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("counted", JSON, nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "organisation", "decision", "window_start", "trigger", name=op.f("pk_trigger_firings")
        ),
    )
    op.create_index(op.f("ix_trigger_firings_matter_id"), "trigger_firings", ["matter_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade() -> None:
    disable_tenant_rls(op, TENANT_TABLES)
    op.drop_index(op.f("ix_trigger_firings_matter_id"), table_name="trigger_firings")
    op.drop_table("trigger_firings")
    op.drop_index("ix_counted_decisions_organisation", table_name="counted_decisions")
    op.drop_table("counted_decisions")
