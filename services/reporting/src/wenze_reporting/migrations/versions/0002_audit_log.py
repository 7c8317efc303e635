"""The audit log: append-only, hash-chained per tenant (docs/adr/0014-audit-log.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from wenze.db.audit_schema import create_audit_log, drop_audit_log

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log()


def downgrade() -> None:
    drop_audit_log()
