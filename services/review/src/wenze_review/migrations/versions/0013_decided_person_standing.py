"""Decided persons keep their decision's number, so a recommendation names the earlier
decisions it counted, and the day a decision was revoked for them on appeal, after which it
no longer counts.

Rows recorded before take their decision's number from the decisions table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decided_persons") as batch:
        batch.add_column(sa.Column("decision_number", sa.String(80), nullable=True))
        batch.add_column(sa.Column("revoked_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE decided_persons SET decision_number = "
        "(SELECT decisions.number FROM decisions WHERE decisions.id = decided_persons.decision_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("decided_persons") as batch:
        batch.drop_column("revoked_on")
        batch.drop_column("decision_number")
