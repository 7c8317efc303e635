"""The tables every service's first migration creates: idempotency keys, inbox and outbox,
and the later changes every service makes to them alike.

Each function is called from one revision of every service, so it is those revisions' schema as
released and must not change: a further change is a new function, called from a new revision
of each service.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def create_common_tables() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "consumer", name=op.f("pk_inbox")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("headers", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_unpublished", ["published_at", "created_at"], unique=False)


def drop_common_tables() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("idempotency_keys")


def index_pending_outbox() -> None:
    """The outbox's unpublished rows indexed by ``created_at`` alone, where the index of every
    row by ``(published_at, created_at)`` was. PostgreSQL does not take ``published_at IS NULL``
    as fixing the first column, so it could not read that index in ``created_at``'s order: a
    relay's claim read and sorted every unpublished row to return its first few hundred. The
    partial index holds only rows waiting to be published, in the claim's order."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["created_at"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )


def unindex_pending_outbox() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_unpublished", ["published_at", "created_at"], unique=False)


def index_published_outbox() -> None:
    """The outbox's published rows indexed by ``published_at``, for the purge of those kept
    past their retention (``wenze.db.outbox.purge_published``): without it each purge read
    the whole table to find the oldest."""
    op.create_index(
        "ix_outbox_published",
        "outbox",
        ["published_at"],
        postgresql_where=sa.text("published_at IS NOT NULL"),
        sqlite_where=sa.text("published_at IS NOT NULL"),
    )


def unindex_published_outbox() -> None:
    op.drop_index("ix_outbox_published", table_name="outbox")
