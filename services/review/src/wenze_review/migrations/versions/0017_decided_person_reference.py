"""The reference of a person a decision held accountable, where intake derived one from their
identity number: earlier accountability is then the person's, whatever unit each decision named
(docs/adr/0044-person-reference-from-the-identity-number.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decided_persons") as batch:
        batch.add_column(sa.Column("person_ref", sa.String(length=64), nullable=True))
        batch.create_index("ix_decided_persons_reference", ["tenant", "person_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decided_persons") as batch:
        batch.drop_index("ix_decided_persons_reference")
        batch.drop_column("person_ref")
