"""Row-level security on every table holding a tenant's rows (docs/adr/0018-row-level-security-and-roles.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op

from wenze.db.tenancy import disable_tenant_rls, enable_tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Tables with a tenant column: each row is seen and written only in its tenant's scope.
TENANT_TABLES = [
    "idempotency_keys",
    "audit_log",
]

# Tables holding no tenant's rows, and why they need no policy.
WITHOUT_TENANT = {
    "outbox": "events on their way to NATS, read by the relay for every tenant; each payload names its tenant",
    "inbox": "the ids of events a consumer has applied, nothing of their content",
}


def upgrade() -> None:
    enable_tenant_rls(op, TENANT_TABLES, without_tenant=WITHOUT_TENANT)


def downgrade() -> None:
    disable_tenant_rls(op, TENANT_TABLES)
