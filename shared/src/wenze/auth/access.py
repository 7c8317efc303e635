"""Who sees a matter and who may act on it, beyond the tenant: office and authority.

The tenant boundary is the token's issuer (and, below the code, row-level security). Within a
tenant, every service decides with the same two rules, whatever it calls the object (a
matter, a routing slip, a consultation, a case, a task):

**Reading** (:func:`may_read`). A caller sees a matter when

1. an integrator's service account submitted it (integrators see what they submitted and
   nothing else); or
2. the caller's office is *party* to it: it submitted it, or routing, a consultation or a
   review named it handler, participant, approver, investigator or copy recipient. Being
   named is an assignment and is enough on its own; or
3. the caller's office *oversees* the tenant's matters (capability ``matter:oversee``, or
   ``matter:accept``: the office that accepts matters must see what it is asked to accept,
   or ``routing:override``: the office that forces a routing must see the matters waiting
   for one, which no rule routed to anybody), or the matter concerns one of the units
   (towns, departments) the office is linked to, and in both cases every known cadre or
   organisation level of the matter's targets is within the office's authority (干部管理权限).

Anything else is not found: a 404 that discloses nothing, as for another tenant's object.

**Acting** (:func:`authorise_step`). A step is done by the office it belongs to, holding the
step's capability, on targets within that office's authority; an office linked to particular
units acts only on matters of those units unless the step was assigned to it by name (a task
reassigned to a member, an investigation given to the office).

Lists and counts apply the same rules in SQL; each service's repository builds the clause
from :class:`ReadScope`, which holds the caller's side of the comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_OVERSEE, ROUTING_OVERRIDE
from wenze.auth.principal import Principal
from wenze.problems import Problem


@dataclass(frozen=True, slots=True)
class MatterAccess:
    """What a service knows about a matter that decides who sees it and who acts on it."""

    # Offices and bodies party to the matter: the submitter's office and every office a
    # routing slip, consultation, review or task named.
    offices: frozenset[str] = frozenset()
    # The targets' cadre levels and organisation levels, where known.
    levels: frozenset[str] = frozenset()
    # The targets' units (towns, departments), as written on the matter.
    units: frozenset[str] = frozenset()
    # The username that submitted it; an integrator's is ``service-account-<client>``.
    submitted_by: str | None = None

    @classmethod
    def of(
        cls,
        *,
        offices: Iterable[str | None] = (),
        levels: Iterable[str | None] = (),
        units: Iterable[str | None] = (),
        submitted_by: str | None = None,
    ) -> MatterAccess:
        """Build from whatever a service has at hand; ``None`` entries (unknown) are dropped."""
        return cls(
            offices=frozenset(o for o in offices if o),
            levels=frozenset(level for level in levels if level),
            units=frozenset(u for u in units if u),
            submitted_by=submitted_by,
        )


@dataclass(frozen=True, slots=True)
class ReadScope:
    """The caller's side of the read rule, for repositories that filter in SQL.

    ``integrator`` set: only rows with ``submitted_by == integrator``. Otherwise a row is
    visible when its offices include ``office``, or (``oversees`` or its units meet
    ``linked_units``) and its levels are all within ``authority``.
    """

    integrator: str | None
    office: str | None
    oversees: bool
    authority: frozenset[str] = field(default_factory=frozenset)
    linked_units: frozenset[str] = field(default_factory=frozenset)


# Capabilities whose holder needs the tenant's matters in sight, within its authority.
OVERSIGHT = frozenset({MATTER_OVERSEE, MATTER_ACCEPT, ROUTING_OVERRIDE})


def read_scope(principal: Principal) -> ReadScope:
    if principal.office is None:
        # A service account acts for a system, not an office: it sees its own submissions.
        return ReadScope(integrator=principal.username, office=None, oversees=False)
    return ReadScope(
        integrator=None,
        office=principal.office,
        oversees=bool(OVERSIGHT & principal.roles),
        authority=principal.cadre_authority,
        linked_units=frozenset(principal.linked_units),
    )


def may_read(principal: Principal, matter: MatterAccess) -> bool:
    return visible(read_scope(principal), matter)


def visible(scope: ReadScope, matter: MatterAccess) -> bool:
    """The read rule itself; repositories' SQL must agree with it (their tests compare)."""
    if scope.integrator is not None:
        return matter.submitted_by == scope.integrator
    if scope.office in matter.offices:
        return True
    within_authority = matter.levels <= scope.authority
    return within_authority and (scope.oversees or bool(matter.units & scope.linked_units))


class StepNotYours(Problem):
    """The step belongs to another office, or the caller's roles lack the step's capability."""

    status = 403
    slug = "step-not-yours"
    title = "This step belongs to another office or needs another capability"

    def __init__(self, step: str, offices: Iterable[str], capability: str, caller_office: str | None) -> None:
        offices = sorted(offices)
        super().__init__(
            f"{step} is for {', '.join(offices) or 'no office'} with the capability {capability!r}; "
            f"the caller acts for {caller_office or 'no office'}",
            extra={"offices": offices, "capability": capability, "caller_office": caller_office},
        )


class OutsideAuthority(Problem):
    """The matter's targets include cadre levels the caller's office has no authority over."""

    status = 403
    slug = "outside-authority"
    title = "The target is outside your office's cadre-management authority"

    def __init__(self, step: str, levels: Iterable[str]) -> None:
        levels = sorted(levels)
        super().__init__(
            f"{step} concerns targets of level {', '.join(levels)}, which your office's authority "
            "(干部管理权限) does not cover",
            extra={"levels": levels},
        )


class OutsideLinkedUnits(Problem):
    """An office linked to particular units acts on another unit's matter it was not given."""

    status = 403
    slug = "outside-linked-units"
    title = "The matter concerns units your office is not linked to"

    def __init__(self, step: str, units: Iterable[str]) -> None:
        units = sorted(units)
        super().__init__(
            f"{step} concerns {', '.join(units)}, which your office is not linked to, and it was not assigned to you",
            extra={"units": units},
        )


def authorise_step(
    principal: Principal,
    matter: MatterAccess,
    *,
    step: str,
    offices: Iterable[str],
    capability: str,
    assigned: bool = False,
) -> str:
    """Return the caller's office if it may take ``step`` on ``matter``, else a 403 problem.

    ``offices`` are the offices the step belongs to; ``assigned`` says the step was given to
    this caller or this concrete office by name, which overrides the link to units (never the
    authority over cadre levels).
    """
    offices = set(offices)
    if principal.office is None or principal.office not in offices or capability not in principal.roles:
        raise StepNotYours(step, offices, capability, principal.office)
    outside = matter.levels - principal.cadre_authority
    if outside:
        raise OutsideAuthority(step, outside)
    linked = frozenset(principal.linked_units)
    if linked and matter.units and not (matter.units & linked) and not assigned:
        raise OutsideLinkedUnits(step, matter.units)
    return principal.office
