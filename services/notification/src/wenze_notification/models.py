"""Every table the notification service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.outbox import OutboxRecord

__all__ = ["AuditChainLink", "AuditEntry", "IdempotencyRecord", "InboxRecord", "OutboxRecord"]
