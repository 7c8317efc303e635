"""How review applies the shared rules of ``wenze.auth.access`` to its objects, and what it
writes to the audit log (docs/access.md, docs/adr/0014-audit-log.md).

Reading goes by matter: whoever may read a matter reads every consultation, case, task and
timeline review holds of it, and nothing of a matter they may not read (a 404, as for an id
that does not exist). Acting goes by the object acted on: the step's offices and capability,
and the authority and linked units compared with that object's own targets, since one slip's
case must not be held up by another target of the same matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from wenze.auth.access import MatterAccess, authorise_step, may_read
from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord
from wenze.problems import NotFound
from wenze_review.access.repository import target_levels, target_units
from wenze_review.repositories import ReviewUnitOfWork

# The actor of what the worker does on another service's event.
SYSTEM_ACTOR: Final = "system:review"


async def check_readable(
    uow: ReviewUnitOfWork,
    principal: Principal,
    matter_id: str,
    not_found: type[NotFound],
    what: str,
    row_id: str,
) -> MatterAccess:
    """The matter's access if ``principal`` may read it; otherwise the same 404 as for an id
    nothing has, so a refusal never tells that the object exists."""
    access = await uow.repos.access.of_matter(principal.tenant, matter_id)
    if not may_read(principal, access):
        raise not_found(f"no {what} {row_id} in this tenant")
    return access


def targets_access(targets: Iterable[Mapping[str, Any]]) -> MatterAccess:
    """The levels and units of the targets a step concerns."""
    targets = list(targets)
    return MatterAccess.of(levels=target_levels(targets), units=target_units(targets))


def authorise(
    principal: Principal,
    targets: Iterable[Mapping[str, Any]],
    *,
    step: str,
    offices: Iterable[str],
    capability: str,
    assigned: bool = False,
) -> str:
    """The caller's office if it may take ``step`` on ``targets`` (``wenze.auth.access.authorise_step``)."""
    return authorise_step(
        principal, targets_access(targets), step=step, offices=offices, capability=capability, assigned=assigned
    )


def audit(
    principal: Principal,
    client_address: str | None,
    action: str,
    object_kind: str,
    object_id: str,
    **detail: Any,
) -> AuditRecord:
    """What a request did or read: who, for which office, from where."""
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
    """What the worker did on another service's event."""
    return AuditRecord(actor=SYSTEM_ACTOR, action=action, object_kind=object_kind, object_id=object_id, detail=detail)
