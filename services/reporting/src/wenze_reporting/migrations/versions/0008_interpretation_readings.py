"""The service's copy of the tenant's chosen readings of interpretation points, learnt from
routing's ``interpretation.chosen`` events, under row-level security
(docs/adr/0034-interpretation-points.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

from wenze.db.interpretations import create_readings_table, drop_readings_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_readings_table(op)


def downgrade() -> None:
    drop_readings_table(op)
