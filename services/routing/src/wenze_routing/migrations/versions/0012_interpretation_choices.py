"""The tenant's choices among the readings of its pack's interpretation points, one row per
choice (docs/adr/0034-interpretation-points.md), under row-level security.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from wenze.db.tenancy import disable_tenant_rls, tenant_policy_sql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpretation_choices",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("point", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reading", sa.String(length=80), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("chosen_by", sa.String(length=255), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "point", "version", name=op.f("pk_interpretation_choices")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in tenant_policy_sql("interpretation_choices"):
            op.execute(statement)


def downgrade() -> None:
    disable_tenant_rls(op, ["interpretation_choices"])
    op.drop_table("interpretation_choices")
