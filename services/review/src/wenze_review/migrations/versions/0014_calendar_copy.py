"""Review's copy of routing's working-day calendar: national years loaded through routing and
each tenant's local days, kept from routing's calendar events (docs/adr/0031-review-counts-in-routings-calendar.md).

National years hold no tenant's rows (they count for every tenant, as in routing); local days
are a tenant's rows under row-level security.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.tenancy import disable_tenant_rls, tenant_policy_sql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# Tables holding no tenant's rows, and why they need no policy.
WITHOUT_TENANT = {"routing_calendar_years": "the national calendar as routing told it: platform data (ADR 0011, 0029)"}


def upgrade() -> None:
    op.create_table(
        "routing_calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("loaded_by", sa.String(length=255), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_routing_calendar_years")),
    )
    op.create_table(
        "routing_local_days",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", JSON, nullable=False),
        sa.Column("declared_by", sa.String(length=255), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "year", name=op.f("pk_routing_local_days")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in tenant_policy_sql("routing_local_days"):
            op.execute(statement)


def downgrade() -> None:
    disable_tenant_rls(op, ["routing_local_days"])
    op.drop_table("routing_local_days")
    op.drop_table("routing_calendar_years")
