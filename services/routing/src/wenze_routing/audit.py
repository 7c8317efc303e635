"""What routing writes to the audit log (ADR 0014): who did or read what, and from where.

Requests record the caller (username and office) and the client address; the consumers
record routing itself, ``system:routing``, with the event that moved it in the detail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from wenze.auth import Principal
from wenze.db import UnitOfWork
from wenze.db.audit import AuditRecord
from wenze_routing.repositories import RoutingRepositories

SYSTEM_ACTOR: Final = "system:routing"


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


def by_routing(action: str, kind: str, object_id: str, detail: dict[str, Any]) -> AuditRecord:
    return AuditRecord(actor=SYSTEM_ACTOR, action=action, object_kind=kind, object_id=object_id, detail=detail)


def audit_at_commit(uow: UnitOfWork[RoutingRepositories], records: Iterable[tuple[str, AuditRecord]]) -> None:
    """Stage a batch's records for the commit, one tenant's after another's, in one order in
    every batch."""
    by_tenant: dict[str, list[AuditRecord]] = defaultdict(list)
    for tenant, record in records:
        by_tenant[tenant].append(record)
    for tenant in sorted(by_tenant):
        uow.repos.audit.append_at_commit(tenant, by_tenant[tenant])
