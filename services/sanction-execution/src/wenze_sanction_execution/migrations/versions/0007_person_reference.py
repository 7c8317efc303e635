"""Persons known by the reference intake derives from their identity number, where a decision's
target carries one; by kind, name and unit only where it does not
(docs/adr/0044-person-reference-from-the-identity-number.md).

The rows already stored were all told apart by name and unit, and stay so.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("person_ref", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("identified_by", sa.String(length=20), nullable=False, server_default="name_and_unit")
        )
        batch.add_column(sa.Column("current_as_of", sa.Date(), nullable=True))
        batch.drop_constraint("uq_persons_identity", type_="unique")
    with op.batch_alter_table("persons") as batch:
        batch.alter_column("identified_by", server_default=None)
    op.create_index(
        "uq_persons_identity",
        "persons",
        ["tenant", "kind", "name", "unit"],
        unique=True,
        postgresql_where=sa.text("person_ref IS NULL"),
        sqlite_where=sa.text("person_ref IS NULL"),
    )
    op.create_index(
        "uq_persons_reference",
        "persons",
        ["tenant", "person_ref"],
        unique=True,
        postgresql_where=sa.text("person_ref IS NOT NULL"),
        sqlite_where=sa.text("person_ref IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_persons_reference", table_name="persons")
    op.drop_index("uq_persons_identity", table_name="persons")
    # Persons told apart by reference may share a name and unit: the older key then cannot be
    # made, and the downgrade stops there rather than merge them.
    with op.batch_alter_table("persons") as batch:
        batch.create_unique_constraint("uq_persons_identity", ["tenant", "kind", "name", "unit"])
        batch.drop_column("current_as_of")
        batch.drop_column("identified_by")
        batch.drop_column("person_ref")
