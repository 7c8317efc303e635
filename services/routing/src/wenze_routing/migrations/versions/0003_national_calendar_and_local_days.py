"""The national working-day calendar and each tenant's local days, stored in the database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "calendar_national_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("definition", _json(), nullable=False),
        sa.Column("loaded_by", sa.String(length=255), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_national_years")),
    )
    op.create_table(
        "calendar_local_days",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", _json(), nullable=False),
        sa.Column("declared_by", sa.String(length=255), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "year", name=op.f("pk_calendar_local_days")),
    )


def downgrade() -> None:
    op.drop_table("calendar_local_days")
    op.drop_table("calendar_national_years")
