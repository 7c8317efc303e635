"""The audit log's chain in its own table, linked after the entries commit (docs/adr/0014-audit-log.md).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from wenze.db.audit_schema import move_chain_out_of_audit_log, put_chain_back_into_audit_log

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    move_chain_out_of_audit_log()


def downgrade() -> None:
    put_chain_back_into_audit_log()
