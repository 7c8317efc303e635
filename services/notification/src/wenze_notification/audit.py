"""Audit records of the notification service (docs/adr/0014-audit-log.md)."""

from __future__ import annotations

from typing import Any, Final

from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord

SYSTEM_ACTOR: Final = "system:notification"


def audit(
    principal: Principal, client_address: str | None, action: str, object_kind: str, object_id: str, **detail: Any
) -> AuditRecord:
    """What a request did: who, for which office, from where."""
    return AuditRecord(
        actor=principal.username,
        office=principal.office,
        action=action,
        object_kind=object_kind,
        object_id=object_id,
        client_address=client_address,
        detail=detail,
    )


def system_audit(action: str, object_kind: str, object_id: str, **detail: Any) -> AuditRecord:
    """What the worker did on an event or a delivery."""
    return AuditRecord(actor=SYSTEM_ACTOR, action=action, object_kind=object_kind, object_id=object_id, detail=detail)
