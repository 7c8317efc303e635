"""Indexes on the two read-model dates the reports count by that had none: rejected and
consultation requested, so a period's counts are one bitmap OR over indexes and never a
scan of the tenant's matters (docs/adr/0037-reports-in-one-pass.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_matters_rejected", "report_matters", ["tenant", "rejected_on"])
    op.create_index("ix_report_matters_consultation", "report_matters", ["tenant", "consultation_requested_on"])


def downgrade() -> None:
    op.drop_index("ix_report_matters_consultation", table_name="report_matters")
    op.drop_index("ix_report_matters_rejected", table_name="report_matters")
