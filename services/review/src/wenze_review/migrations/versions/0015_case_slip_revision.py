"""Cases record the revision of the slip's routing they follow, so an override delivered after
a later one changes nothing (docs/adr/0032-overrides-reach-open-cases.md).

Cases opened before have none: any override of their slip is applied as it arrives.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("slip_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("slip_revision")
