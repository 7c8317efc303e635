"""Intake's copy of the tenant's chosen readings of interpretation points (learnt from
routing's ``interpretation.chosen`` events), under row-level security; and the date of the
decision that made each trigger fire, so that a rolling counting window, which starts anew with
every decision, does not open a matter its window has had already
(docs/adr/0034-interpretation-points.md).

Firings recorded before this revision get the day they were recorded, kept inside their window.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from wenze.db.tenancy import disable_tenant_rls, tenant_policy_sql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpretation_readings",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("point", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reading", sa.String(length=80), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("learnt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "point", "version", name=op.f("pk_interpretation_readings")),
    )
    with op.batch_alter_table("trigger_firings") as batch:
        batch.add_column(sa.Column("fired_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE trigger_firings SET fired_on = "
            "LEAST(window_end - 1, GREATEST(window_start, CAST(fired_at AS date)))"
        )
        for statement in tenant_policy_sql("interpretation_readings"):
            op.execute(statement)
    else:
        op.execute("UPDATE trigger_firings SET fired_on = window_start")
    with op.batch_alter_table("trigger_firings") as batch:
        batch.alter_column("fired_on", existing_type=sa.Date(), nullable=False)
    op.create_index(
        "ix_trigger_firings_fired_on", "trigger_firings", ["tenant", "organisation", "decision", "fired_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_trigger_firings_fired_on", table_name="trigger_firings")
    with op.batch_alter_table("trigger_firings") as batch:
        batch.drop_column("fired_on")
    disable_tenant_rls(op, ["interpretation_readings"])
    op.drop_table("interpretation_readings")
