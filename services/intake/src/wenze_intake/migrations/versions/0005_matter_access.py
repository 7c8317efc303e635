"""Office and authority on reads: the submitter's office on matters and import jobs, and what
intake learns from routing and review about who is party to a matter (docs/access.md).

Matters and import jobs registered before this revision have no office: their submitter's
office is not known, so they are read through oversight, linked units or the offices routing
and review name, and an import job by the user who started it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column is added in place on SQLite too, without rebuilding the table.
    op.add_column("matters", sa.Column("submitter_office", sa.String(length=100), nullable=True))
    op.add_column("import_jobs", sa.Column("created_by_office", sa.String(length=100), nullable=True))
    op.create_table(
        "matter_access_facts",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("matter_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "matter_id", "kind", "value", name=op.f("pk_matter_access_facts")),
    )


def downgrade() -> None:
    op.drop_table("matter_access_facts")
    with op.batch_alter_table("import_jobs") as batch_op:
        batch_op.drop_column("created_by_office")
    with op.batch_alter_table("matters") as batch_op:
        batch_op.drop_column("submitter_office")
