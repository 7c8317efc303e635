"""Executions, their deadlines and after-effect periods keep the interpretation points they
depended on and the reading each was read under, beside their citations
(docs/adr/0043-post-decision-outcomes-name-their-readings.md). Rows stored before keep none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ["executions", "deadlines", "after_effects"]


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("interpretations", json, nullable=False, server_default="[]"))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("interpretations")
