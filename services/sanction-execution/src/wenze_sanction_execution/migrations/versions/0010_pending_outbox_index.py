"""The outbox's unpublished rows indexed in the order a relay claims them
(``wenze.db.common_schema.index_pending_outbox``).

On PostgreSQL the index is built while the outbox's writes wait, in one pass over the table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from wenze.db.common_schema import index_pending_outbox, unindex_pending_outbox

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_pending_outbox()


def downgrade() -> None:
    unindex_pending_outbox()
