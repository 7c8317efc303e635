"""The service's copy of the tenant's chosen readings of interpretation points, learnt from
routing's ``interpretation.chosen`` events, under row-level security
(docs/adr/0034-interpretation-points.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.interpretations import create_readings_table, drop_readings_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_readings_table(op)
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("interpretations", json, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("interpretations")
    drop_readings_table(op)
