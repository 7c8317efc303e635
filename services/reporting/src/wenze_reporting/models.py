"""Every table the reporting service owns, for Alembic and for tests."""

from wenze.http.idempotency import IdempotencyRecord
from wenze.messaging.inbox import InboxRecord
from wenze.messaging.outbox import OutboxRecord

__all__ = ["IdempotencyRecord", "InboxRecord", "OutboxRecord"]
