"""The capabilities a Wenze caller can hold.

Each capability is a Keycloak realm role of the same name (a client role of the API
client counts too, see :mod:`wenze.auth.principal`). Offices get a bundle of them
through their users' role mappings; integrators' service accounts get theirs directly.

| capability          | grants                                                          |
|---------------------|-----------------------------------------------------------------|
| ``matter:submit``     | submit an accountability matter (问责事项) or clue                |
| ``matter:read``       | read the matters, slips and cases visible to the caller (below) |
| ``matter:oversee``    | see every matter of the tenant within the office's authority    |
| ``matter:accept``     | accept (受理) or reject a matter: the central intake office only  |
| ``matter:bulk``       | bulk import of matters (screened clues, petition batches)       |
| ``routing:override``  | change or force a routing (分办) against the rule pack's outcome |
| ``consultation:sign`` | sign a consultation form (会商表)                                 |
| ``review:sign``       | sign a joint review form (会审表)                                 |
| ``approval:sign``     | approve a routing opinion or recommendation (委领导审批)          |
| ``decision:make``     | record an accountability decision (问责决定)                      |
| ``rules:admin``       | the tenant's rules and notices: interpretation readings, contacts |
| ``calendar:admin``    | load an official working-day calendar year (调休)                |
| ``report:read``       | read the reports (月报, 半年分析), their exports and charts, and the case library (案例库) |
| ``case_library:curate`` | mark typical cases in the case library and draft their public notice (典型案例通报) |

Reads follow office and authority (:mod:`wenze.auth.access`): an integrator sees what it
submitted; an office sees the matters it is party to (submitted, assigned, consulted, copied),
and, within its authority (干部管理权限) over the targets' cadre levels, those of the units it is
linked to, or all of them when it oversees (``matter:oversee``, or ``matter:accept`` for the
office that accepts matters, or ``routing:override`` for the office that forces routings).
``docs/access.md`` lists who sees what.
"""

from __future__ import annotations

from typing import Final

MATTER_SUBMIT: Final = "matter:submit"
MATTER_READ: Final = "matter:read"
MATTER_OVERSEE: Final = "matter:oversee"
MATTER_ACCEPT: Final = "matter:accept"
MATTER_BULK: Final = "matter:bulk"
ROUTING_OVERRIDE: Final = "routing:override"
CONSULTATION_SIGN: Final = "consultation:sign"
REVIEW_SIGN: Final = "review:sign"
APPROVAL_SIGN: Final = "approval:sign"
DECISION_MAKE: Final = "decision:make"
RULES_ADMIN: Final = "rules:admin"
CALENDAR_ADMIN: Final = "calendar:admin"
REPORT_READ: Final = "report:read"
CASE_LIBRARY_CURATE: Final = "case_library:curate"

CAPABILITIES: Final[frozenset[str]] = frozenset(
    {
        MATTER_SUBMIT,
        MATTER_READ,
        MATTER_OVERSEE,
        MATTER_ACCEPT,
        MATTER_BULK,
        ROUTING_OVERRIDE,
        CONSULTATION_SIGN,
        REVIEW_SIGN,
        APPROVAL_SIGN,
        DECISION_MAKE,
        RULES_ADMIN,
        CALENDAR_ADMIN,
        REPORT_READ,
        CASE_LIBRARY_CURATE,
    }
)


def check_capability(name: str) -> str:
    """Return ``name`` if it is a known capability; a typo fails at import time, not at 403."""
    if name not in CAPABILITIES:
        known = ", ".join(sorted(CAPABILITIES))
        raise ValueError(f"unknown capability {name!r}; known: {known}")
    return name
