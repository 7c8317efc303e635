"""Routing slips record the procedure (and so the workflow) their matter follows.

Slips opened before have none: they follow the pack's first workflow, which was the only
one the services drove.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slips") as batch:
        batch.add_column(sa.Column("procedure", sa.String(60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slips") as batch:
        batch.drop_column("procedure")
