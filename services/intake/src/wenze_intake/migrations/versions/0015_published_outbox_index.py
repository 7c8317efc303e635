"""The outbox's published rows indexed by when they were published, for the purge of those
kept past their retention (``wenze.db.common_schema.index_published_outbox``).

On PostgreSQL the index is built while the outbox's writes wait, in one pass over the table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from wenze.db.common_schema import index_published_outbox, unindex_published_outbox

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_published_outbox()


def downgrade() -> None:
    unindex_published_outbox()
