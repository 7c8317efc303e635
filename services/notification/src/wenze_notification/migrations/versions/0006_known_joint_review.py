"""Known matters keep the joint review (会审) review concluded, with review's number for the
会审表, as they keep the consultation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("known_matters") as batch:
        batch.add_column(sa.Column("joint_review", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_matters") as batch:
        batch.drop_column("joint_review")
