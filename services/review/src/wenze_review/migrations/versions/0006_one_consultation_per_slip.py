"""One consultation per slip: a partial unique index over the deliberations without a case.

``uq_deliberations_subject`` includes ``case_id``, which a consultation leaves NULL, and NULLs
are distinct in a UNIQUE constraint, so it never stopped a second consultation of one slip.
A database already holding two consultations of one slip refuses this index; which of them
stands is for the commission to decide, not the migration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WITHOUT_CASE = sa.text("case_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "uq_deliberations_subject_without_case",
        "deliberations",
        ["tenant", "kind", "slip_id"],
        unique=True,
        postgresql_where=WITHOUT_CASE,
        sqlite_where=WITHOUT_CASE,
    )


def downgrade() -> None:
    op.drop_index("uq_deliberations_subject_without_case", table_name="deliberations")
