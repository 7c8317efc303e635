"""Every table the notification service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze_notification.deliveries.models import Delivery, DeliveryAttempt
from wenze_notification.directory.models import Contact, Subscription
from wenze_notification.documents.models import IssuedDocument
from wenze_notification.matters.models import KnownMatter
from wenze_notification.notices.models import Notice

__all__ = [
    "AuditChainLink",
    "AuditEntry",
    "Contact",
    "Delivery",
    "DeliveryAttempt",
    "IdempotencyRecord",
    "InboxRecord",
    "IssuedDocument",
    "KnownMatter",
    "Notice",
    "NumberCounter",
    "OutboxRecord",
    "Subscription",
]
