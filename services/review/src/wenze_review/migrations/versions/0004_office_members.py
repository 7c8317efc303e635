"""Office members: who acts for which office with which capabilities, from their verified
tokens; a task is handed only to one of them (docs/adr/0012).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_members",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=False),
        sa.Column(
            "capabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "username", name=op.f("pk_office_members")),
    )


def downgrade() -> None:
    op.drop_table("office_members")
