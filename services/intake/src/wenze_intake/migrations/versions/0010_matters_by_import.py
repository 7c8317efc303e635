"""Matters by import job in numbering order, for accepting a whole import (docs/adr/0028-set-based-import-batches.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_matters_import_job", "matters", ["import_job_id", "year", "seq"])


def downgrade() -> None:
    op.drop_index("ix_matters_import_job", table_name="matters")
