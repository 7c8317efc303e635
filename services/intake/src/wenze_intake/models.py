"""Every table the intake service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.interpretations import InterpretationReading
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze_intake.counted_triggers.models import CountedDecision, TriggerFiring
from wenze_intake.imports.models import ImportJob, ImportRowError
from wenze_intake.matters.models import Attachment, Matter, MatterAccessFact, Target, TimelineEntry

__all__ = [
    "Attachment",
    "AuditChainLink",
    "AuditEntry",
    "CountedDecision",
    "IdempotencyRecord",
    "ImportJob",
    "ImportRowError",
    "InboxRecord",
    "InterpretationReading",
    "Matter",
    "MatterAccessFact",
    "NumberCounter",
    "OutboxRecord",
    "Target",
    "TimelineEntry",
    "TriggerFiring",
]
