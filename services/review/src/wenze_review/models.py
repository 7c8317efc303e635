"""Every table the review service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.interpretations import InterpretationReading
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze_review.access.models import MatterAccessFact
from wenze_review.calendar.models import RoutingCalendarYear, RoutingLocalDays
from wenze_review.cases.models import Case, DecidedPerson, Decision, Hearing, Investigation, Recommendation
from wenze_review.deliberations.models import Approval, Deliberation, EscalationRecord, Signature
from wenze_review.work.models import OfficeMember, Task, TimelineEntry

__all__ = [
    "Approval",
    "AuditChainLink",
    "AuditEntry",
    "Case",
    "DecidedPerson",
    "Decision",
    "Deliberation",
    "EscalationRecord",
    "Hearing",
    "IdempotencyRecord",
    "InboxRecord",
    "InterpretationReading",
    "Investigation",
    "MatterAccessFact",
    "NumberCounter",
    "OfficeMember",
    "OutboxRecord",
    "Recommendation",
    "RoutingCalendarYear",
    "RoutingLocalDays",
    "Signature",
    "Task",
    "TimelineEntry",
]
