"""Every table the reporting service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.interpretations import InterpretationReading
from wenze.db.outbox import OutboxRecord
from wenze_reporting.ledger.models import (
    ReportAppeal,
    ReportDeadline,
    ReportDecision,
    ReportExecution,
    ReportMatter,
    ReportMatterAccess,
    ReportMeasure,
    ReportSlip,
)
from wenze_reporting.library.models import CaseMark
from wenze_reporting.progress.models import MatterHolder, MatterProgress, TimelineEntry

__all__ = [
    "AuditChainLink",
    "AuditEntry",
    "CaseMark",
    "IdempotencyRecord",
    "InboxRecord",
    "InterpretationReading",
    "MatterHolder",
    "MatterProgress",
    "OutboxRecord",
    "ReportAppeal",
    "ReportDeadline",
    "ReportDecision",
    "ReportExecution",
    "ReportMatter",
    "ReportMatterAccess",
    "ReportMeasure",
    "ReportSlip",
    "TimelineEntry",
]
