"""Intake numbers through the platform's number_counters (kind ``matter``); matter_counters goes.

The counters are copied, so the next number of each tenant and year follows the last one
given before the upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kind", "year", name=op.f("pk_number_counters")),
    )
    op.execute(
        "INSERT INTO number_counters (tenant, kind, year, last)"
        " SELECT tenant, 'matter', year, last FROM matter_counters"
    )
    op.drop_table("matter_counters")


def downgrade() -> None:
    op.create_table(
        "matter_counters",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "year", name=op.f("pk_matter_counters")),
    )
    op.execute(
        "INSERT INTO matter_counters (tenant, year, last) SELECT tenant, year, last FROM number_counters"
        " WHERE kind = 'matter'"
    )
    op.drop_table("number_counters")
