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


async def append_by_tenant(uow: UnitOfWork[RoutingRepositories], records: Iterable[tuple[str, AuditRecord]]) -> None:
    """Append a batch's records, one append per tenant. Call it last before the commit: each
    append holds its tenant's chain until then. Tenants go in one order in every batch, so two
    batches never wait for each other's chains crosswise."""
    by_tenant: dict[str, list[AuditRecord]] = defaultdict(list)
    for tenant, record in records:
        by_tenant[tenant].append(record)
    for tenant in sorted(by_tenant):
        await uow.repos.audit.append(tenant, by_tenant[tenant])
