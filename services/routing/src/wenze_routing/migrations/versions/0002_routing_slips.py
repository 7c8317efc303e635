"""Routing slips, their timeline and the numbering counters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "slips",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("matter_number", sa.String(length=80), nullable=False),
        sa.Column("parent_slip_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("relevant_date", sa.Date(), nullable=False),
        sa.Column("targets", _json(), nullable=False),
        sa.Column("rule_facts", _json(), nullable=False),
        sa.Column("outcome", _json(), nullable=False),
        sa.Column("explanation", _json(), nullable=False),
        sa.Column("citations", _json(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("handler", sa.String(length=60), nullable=True),
        sa.Column("cc", _json(), nullable=False),
        sa.Column("fixed_by", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slips")),
        sa.UniqueConstraint("tenant", "number", name="uq_slips_tenant_number"),
    )
    op.create_index("ix_slips_tenant_matter", "slips", ["tenant", "matter_id"], unique=False)
    op.create_index("ix_slips_tenant_state", "slips", ["tenant", "state", "created_at"], unique=False)
    op.create_table(
        "slip_timeline",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slip_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("office", sa.String(length=60), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("detail", _json(), nullable=False),
        sa.Column("citations", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["slip_id"], ["slips.id"], name=op.f("fk_slip_timeline_slip_id_slips"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slip_timeline")),
    )
    op.create_index(op.f("ix_slip_timeline_slip_id"), "slip_timeline", ["slip_id"], unique=False)
    op.create_table(
        "number_counters",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kind", "year", name=op.f("pk_number_counters")),
    )


def downgrade() -> None:
    op.drop_table("number_counters")
    op.drop_index(op.f("ix_slip_timeline_slip_id"), table_name="slip_timeline")
    op.drop_table("slip_timeline")
    op.drop_index("ix_slips_tenant_state", table_name="slips")
    op.drop_index("ix_slips_tenant_matter", table_name="slips")
    op.drop_table("slips")
