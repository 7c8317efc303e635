"""Every table the intake service owns, for Alembic and for tests."""

from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.outbox import OutboxRecord
from wenze_intake.imports.models import ImportJob, ImportRowError
from wenze_intake.matters.models import Attachment, Matter, MatterCounter, Target, TimelineEntry

__all__ = [
    "Attachment",
    "IdempotencyRecord",
    "ImportJob",
    "ImportRowError",
    "InboxRecord",
    "Matter",
    "MatterCounter",
    "OutboxRecord",
    "Target",
    "TimelineEntry",
]
