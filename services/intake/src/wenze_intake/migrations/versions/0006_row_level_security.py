"""Row-level security on every table holding a tenant's rows (docs/adr/0018-row-level-security-and-roles.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

from wenze.db.tenancy import disable_tenant_rls, enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Tables with a tenant column: each row is seen and written only in its tenant's scope.
TENANT_TABLES = [
    "matters",
    "number_counters",
    "import_jobs",
    "idempotency_keys",
    "audit_log",
    "matter_access_facts",
]
# Rows of a tenant table, without a tenant column of their own:
# (parent table, referencing column); the parent's policy decides.
CHILD_TABLES = {
    "targets": ("matters", "matter_id"),
    "timeline": ("matters", "matter_id"),
    "attachments": ("matters", "matter_id"),
    "import_row_errors": ("import_jobs", "job_id"),
}
# Tables holding no tenant's rows, and why they need no policy.
WITHOUT_TENANT = {
    "outbox": "events on their way to NATS, read by the relay for every tenant; each payload names its tenant",
    "inbox": "the ids of events a consumer has applied, nothing of their content",
}


def upgrade() -> None:
    enable_tenant_rls(op, TENANT_TABLES, child_tables=CHILD_TABLES, without_tenant=WITHOUT_TENANT)


def downgrade() -> None:
    disable_tenant_rls(op, [*TENANT_TABLES, *CHILD_TABLES])
