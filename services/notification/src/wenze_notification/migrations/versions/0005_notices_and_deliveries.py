"""Notices, their deliveries by e-mail and webhook, the directory of contacts and subscribers,
the matters they are about and the documents issued for them (docs/notification.md).

Row-level security as for every tenant table (docs/adr/0018-row-level-security-and-roles.md):
the tables are new, so their policies are created here rather than in 0003.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.db.base import UTCDateTime
from wenze.db.tenancy import drop_policy_sql, parent_policy_sql, tenant_policy_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UUID = sa.String(36)
USERNAME = sa.String(255)

TENANT_TABLES = [
    "known_matters",
    "notices",
    "contacts",
    "subscriptions",
    "deliveries",
    "issued_documents",
    "number_counters",
]
# Rows of a tenant table without a tenant column of their own: (parent table, referencing column).
CHILD_TABLES = {"delivery_attempts": ("deliveries", "delivery_id")}


def upgrade() -> None:
    op.create_table(
        "known_matters",
        sa.Column("matter_id", UUID, primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("number", sa.String(80), nullable=False),
        sa.Column("source", sa.String(80)),
        sa.Column("source_reference", sa.String(200)),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text()),
        sa.Column("targets", JSON, nullable=False),
        sa.Column("received_on", sa.Date()),
        sa.Column("slip_number", sa.String(80)),
        sa.Column("handler", sa.String(80)),
        sa.Column("cc", JSON, nullable=False),
        sa.Column("routing_citations", JSON, nullable=False),
        sa.Column("routed_on", sa.Date()),
        sa.Column("consultation", JSON),
        sa.Column("decision", JSON),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("matter_id", UUID, nullable=False),
        sa.Column("matter_number", sa.String(80)),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("notice", sa.String(60), nullable=False),
        sa.Column("recipient_kind", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("recipient_label", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime()),
        sa.Column("read_by", USERNAME),
        sa.UniqueConstraint("event_id", "notice", "recipient_kind", "recipient", name="uq_notices_event_id"),
    )
    op.create_index("ix_notices_inbox", "notices", ["tenant", "recipient_kind", "recipient", "created_at"])
    op.create_table(
        "contacts",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("party", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("username", USERNAME),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant", "party", "email", name="uq_contacts_tenant"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("owner", USERNAME, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("notices", JSON, nullable=False),
        sa.Column("parties", JSON, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column(
            "notice_id", UUID, sa.ForeignKey("notices.id", name="fk_deliveries_notice_id_notices"), nullable=False
        ),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("destination", sa.String(2000), nullable=False),
        sa.Column(
            "subscription_id",
            UUID,
            sa.ForeignKey("subscriptions.id", name="fk_deliveries_subscription_id_subscriptions"),
        ),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("delivered_at", UTCDateTime()),
        sa.Column("dead_at", UTCDateTime()),
        sa.Column("redriven_by", USERNAME),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", UUID, primary_key=True),
        sa.Column(
            "delivery_id",
            UUID,
            sa.ForeignKey("deliveries.id", name="fk_delivery_attempts_delivery_id_deliveries"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
    )
    op.create_table(
        "issued_documents",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("matter_id", UUID, nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject_key", sa.String(80), nullable=False),
        sa.Column("number", sa.String(80), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("issued_by", USERNAME, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant", "matter_id", "kind", "subject_key", name="uq_issued_documents_tenant"),
    )
    op.create_table(
        "number_counters",
        sa.Column("tenant", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(60), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)
        for table, (parent, column) in CHILD_TABLES.items():
            for statement in parent_policy_sql(table, parent, column):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in [*TENANT_TABLES, *CHILD_TABLES]:
            for statement in drop_policy_sql(table):
                op.execute(statement)
    for table in [
        "number_counters",
        "issued_documents",
        "delivery_attempts",
        "deliveries",
        "subscriptions",
        "contacts",
    ]:
        op.drop_table(table)
    op.drop_index("ix_notices_inbox", table_name="notices")
    op.drop_table("notices")
    op.drop_table("known_matters")
