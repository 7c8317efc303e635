"""The form proposed for each target, where the targets of one matter differ.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("proposed_form", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("targets", "proposed_form")
