"""Who may act on a step: the step's office, with the step's capability."""

from __future__ import annotations

from collections.abc import Iterable

from wenze.auth.principal import Principal
from wenze_review.errors import NotYours


def authorise(principal: Principal, step: str, offices: Iterable[str], capability: str) -> str:
    """Return the caller's office if it is one of ``offices`` and holds ``capability``, else 403."""
    offices = set(offices)
    if principal.office not in offices or capability not in principal.roles:
        raise NotYours(step, offices, capability, principal.office)
    return principal.office
