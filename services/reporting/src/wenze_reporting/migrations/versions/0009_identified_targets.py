"""Targets found by an investigation kept apart from those intake and routing name, so that
neither kind of event overwrites the other, whichever reporting reads first.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("report_matters") as table:
        table.add_column(sa.Column("identified_targets", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("report_matters") as table:
        table.drop_column("identified_targets")
