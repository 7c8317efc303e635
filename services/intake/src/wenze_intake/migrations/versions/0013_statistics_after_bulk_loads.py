"""A function the service's role may call to refresh the planner's statistics of the tables a
bulk import fills, which only their owner may analyse (docs/adr/0050-bulk-acceptance-in-one-statement.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # SECURITY DEFINER runs it as the owner (the migrating role); the search path is pinned to
    # this schema so that no other schema's table can stand in for these.
    op.execute(
        "CREATE FUNCTION analyse_imported_matters() RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path FROM CURRENT AS $$ BEGIN ANALYZE matters, targets, matter_access_facts; END $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION analyse_imported_matters()")
