"""Executions looked up by matter: the console's matter page asks for every execution of a
matter in one call, beside its other calls, rather than per decision after review answered.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_executions_tenant_matter", "executions", ["tenant", "matter_id"])


def downgrade() -> None:
    op.drop_index("ix_executions_tenant_matter", table_name="executions")
