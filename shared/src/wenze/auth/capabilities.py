"""The capabilities a Wenze caller can hold.

Each capability is a Keycloak realm role of the same name (a client role of the API
client counts too, see :mod:`wenze.auth.principal`). Offices get a bundle of them
through their users' role mappings; integrators' service accounts get theirs directly.

| capability          | grants                                                          |
|---------------------|-----------------------------------------------------------------|
| ``matter:submit``     | submit an accountability matter (问责事项) or clue                |
| ``matter:read``       | read any matter, slip or case of the caller's tenant (below)    |
| ``matter:accept``     | accept (受理) or reject a matter: the central intake office only  |
| ``matter:bulk``       | bulk import of matters (screened clues, petition batches)       |
| ``routing:override``  | change or force a routing (分办) against the rule pack's outcome |
| ``consultation:sign`` | sign a consultation form (会商表)                                 |
| ``review:sign``       | sign a joint review form (会审表)                                 |
| ``approval:sign``     | approve a routing opinion or recommendation (委领导审批)          |
| ``decision:make``     | record an accountability decision (问责决定)                      |
| ``rules:admin``       | publish and retire rule packs                                   |
| ``calendar:admin``    | load an official working-day calendar year (调休)                |

Reads are filtered by tenant only: whoever holds ``matter:read`` reads every matter of
their tenant and everything recorded about it (imports, slips, consultations, cases,
timelines); only the review service's work queue (``GET /v1/tasks``) lists the caller's
office's tasks alone. Narrowing reads to what is assigned or copied to the caller's office,
or within its authority (干部管理权限) over the targets' cadre levels, is planned, not present.
"""

from __future__ import annotations

from typing import Final

MATTER_SUBMIT: Final = "matter:submit"
MATTER_READ: Final = "matter:read"
MATTER_ACCEPT: Final = "matter:accept"
MATTER_BULK: Final = "matter:bulk"
ROUTING_OVERRIDE: Final = "routing:override"
CONSULTATION_SIGN: Final = "consultation:sign"
REVIEW_SIGN: Final = "review:sign"
APPROVAL_SIGN: Final = "approval:sign"
DECISION_MAKE: Final = "decision:make"
RULES_ADMIN: Final = "rules:admin"
CALENDAR_ADMIN: Final = "calendar:admin"

CAPABILITIES: Final[frozenset[str]] = frozenset(
    {
        MATTER_SUBMIT,
        MATTER_READ,
        MATTER_ACCEPT,
        MATTER_BULK,
        ROUTING_OVERRIDE,
        CONSULTATION_SIGN,
        REVIEW_SIGN,
        APPROVAL_SIGN,
        DECISION_MAKE,
        RULES_ADMIN,
        CALENDAR_ADMIN,
    }
)


def check_capability(name: str) -> str:
    """Return ``name`` if it is a known capability; a typo fails at import time, not at 403."""
    if name not in CAPABILITIES:
        known = ", ".join(sorted(CAPABILITIES))
        raise ValueError(f"unknown capability {name!r}; known: {known}")
    return name
