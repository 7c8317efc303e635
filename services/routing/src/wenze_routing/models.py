"""Every table the routing service owns, for Alembic and for tests."""

from wenze.db.audit import AuditChainLink, AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.inbox import InboxRecord
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze_routing.calendar.models import NationalYear, TenantLocalDays
from wenze_routing.interpretations.models import InterpretationChoice
from wenze_routing.slips.models import RoutingSlip, SlipAccess, SlipEvent

__all__ = [
    "AuditChainLink",
    "AuditEntry",
    "IdempotencyRecord",
    "InboxRecord",
    "InterpretationChoice",
    "NationalYear",
    "NumberCounter",
    "OutboxRecord",
    "RoutingSlip",
    "SlipAccess",
    "SlipEvent",
    "TenantLocalDays",
]
