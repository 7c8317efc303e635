"""The audit entries intake writes (ADR 0014): who did or read what, and from where.

A request's entry names its caller (username and office) and client address; work the
service does on its own (an import job's runner, a consumer of other services' events)
names :data:`SYSTEM`. Entries are plain inserts in the unit of work they record, chained by
the worker once committed; a submission's entry is written by the numbering statement
itself (ADR 0005), which holds the counter's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord

if TYPE_CHECKING:
    from starlette.requests import Request

SYSTEM: Final = "system:intake"
# The object id of an entry that records a list request rather than one object.
LISTED: Final = "*"


@dataclass(frozen=True)
class Caller:
    """Who sends a request and from where: what every entry a request causes names."""

    principal: Principal
    address: str | None = None

    @classmethod
    def of(cls, principal: Principal, request: Request) -> Caller:
        # The peer the server sees; behind a proxy, what the server's forwarded-header
        # handling makes of it.
        return cls(principal, request.client.host if request.client else None)

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    def did(self, action: str, object_kind: str, object_id: str, **detail: Any) -> AuditRecord:
        return AuditRecord(
            actor=self.principal.username,
            office=self.principal.office,
            action=action,
            object_kind=object_kind,
            object_id=object_id,
            client_address=self.address,
            detail=detail,
        )


def by_system(action: str, object_kind: str, object_id: str, **detail: Any) -> AuditRecord:
    return AuditRecord(actor=SYSTEM, action=action, object_kind=object_kind, object_id=object_id, detail=detail)
