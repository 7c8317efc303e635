"""What sanction-execution writes to the audit log (ADR 0014): who did or read what, from where.

Requests record the caller; the consumer and the deadline scheduler record the service itself,
``system:sanction-execution``, with the event or the date that moved it in the detail.
"""

from __future__ import annotations

from typing import Any, Final

from wenze.auth import Principal
from wenze.db.audit import AuditRecord

SYSTEM_ACTOR: Final = "system:sanction-execution"


def by_caller(
    principal: Principal,
    client: str | None,
    action: str,
    kind: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(
        actor=principal.username,
        office=principal.office,
        action=action,
        object_kind=kind,
        object_id=object_id,
        client_address=client,
        detail=detail or {},
    )


def by_service(action: str, kind: str, object_id: str, detail: dict[str, Any]) -> AuditRecord:
    return AuditRecord(actor=SYSTEM_ACTOR, action=action, object_kind=kind, object_id=object_id, detail=detail)
