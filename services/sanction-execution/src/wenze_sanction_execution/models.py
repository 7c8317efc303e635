"""Every table the sanction-execution service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.interpretations import InterpretationReading
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze_sanction_execution.appeals.models import Appeal
from wenze_sanction_execution.executions.models import Deadline, Execution, ExecutionAccess, ExecutionStep
from wenze_sanction_execution.persons.models import AfterEffect, Person

__all__ = [
    "AfterEffect",
    "Appeal",
    "AuditChainLink",
    "AuditEntry",
    "Deadline",
    "Execution",
    "ExecutionAccess",
    "ExecutionStep",
    "IdempotencyRecord",
    "InboxRecord",
    "InterpretationReading",
    "NumberCounter",
    "OutboxRecord",
    "Person",
]
