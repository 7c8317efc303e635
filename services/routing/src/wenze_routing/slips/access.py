"""Who reads a routing slip and who may force its routing, in the shared rule's terms.

The rule itself is :mod:`wenze.auth.access`; this module only says what a slip contributes
to it. A slip names its parties in its own data: the handler and copies, and every office or
body of the tenant's pack that the rules' outcome names, whatever the pack calls the role
(investigating, consulting, approving, deciding, coordinating, or acting at a step of the
procedure or of an escalation). A concluded consultation adds the bodies that approved it.
An office once named keeps seeing the slip after an override: it was told of the matter, and
the timeline names it.

The targets are the slip's own (one target where the pack routes per target): their cadre
and organisation levels and their units. The matter's submitter is not on a slip (the
accepted-matter event does not carry it), so an integrator reads its matters in intake and
no slip here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from wenze.auth.access import MatterAccess
from wenze.rules import RulePack
from wenze_routing.slips.models import NewSlip, RoutingSlip

OFFICE: Final = "office"
LEVEL: Final = "level"
UNIT: Final = "unit"


def codes(value: Any) -> list[str]:
    """An outcome entry as a list of codes: one code, several, or none."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def slip_access(slip: RoutingSlip | NewSlip, pack: RulePack, named: Iterable[str | None] = ()) -> MatterAccess:
    """What the slip itself says about its readers; ``named``: offices named since (approvers)."""
    offices = [slip.handler, *slip.cc, *named, *pack.parties_named_in(slip.outcome)]
    targets = slip.targets
    return MatterAccess.of(
        offices=offices,
        levels=[t.get("cadre_level") for t in targets] + [t.get("org_level") for t in targets],
        units=[t.get("unit") for t in targets],
    )


def facts_of(access: MatterAccess) -> list[tuple[str, str]]:
    """``access`` as the (facet, value) rows the repository filters on."""
    return [
        *((OFFICE, office) for office in sorted(access.offices)),
        *((LEVEL, level) for level in sorted(access.levels)),
        *((UNIT, unit) for unit in sorted(access.units)),
    ]
