"""A person target's reference, derived from the identity number submitted with it (the number
itself is not kept; docs/adr/0044-person-reference-from-the-identity-number.md).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("person_ref", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("targets", "person_ref")
