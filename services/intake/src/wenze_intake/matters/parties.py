"""Who else is party to a matter, as routing and review announce it.

Intake knows who submitted a matter and what its targets were when submitted; after
acceptance, routing names the handler, copy recipients, investigators, consultation
participants and approvers, and review names the offices that concluded a consultation or
decided. Each of those offices may read the matter from then on (``wenze.auth.access``), so
intake records them, with the targets' levels and units routing classified (an investigation
may have identified targets a matter was submitted without), as ``MatterAccessFact`` rows.

Consumers are idempotent through the inbox; a fact already known is kept as is, so the same
office named by several events is one row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from wenze.db.audit import AuditRecord
from wenze.events import (
    ConsultationConcluded,
    ConsultationRequested,
    DecisionMade,
    Event,
    MatterRouted,
    TargetSnapshot,
)
from wenze_intake.audit import by_system
from wenze_intake.matters.models import FACT_VALUE_LENGTH, AccessFactKind
from wenze_intake.repositories import IntakeUnitOfWorkFactory

# The inbox's consumer name (and the durable consumer's) for each event intake learns from.
CONSUMERS: Final[dict[type[Event], str]] = {
    MatterRouted: "intake-matter-routed",
    ConsultationRequested: "intake-consultation-requested",
    ConsultationConcluded: "intake-consultation-concluded",
    DecisionMade: "intake-decision-made",
}


def named_offices(event: Event) -> list[str | None]:
    """The offices and bodies ``event`` names on its matter.

    A consultation's handler candidates are not named: they are the choice the consultation
    makes, and the chosen one is named when the matter is routed. The escalation chain's
    levels are: no event announces an escalation, and a level that decides must read the
    matter it decides on.
    """
    if isinstance(event, MatterRouted):
        return [
            event.handler,
            *event.cc,
            event.investigated_by,
            *event.investigated_with,
            *event.start_approved_by,
            *event.decided_by,
        ]
    if isinstance(event, ConsultationRequested):
        return [
            event.lead,
            *event.participants,
            event.proposed_handler,
            *event.approved_by,
            *(step.actor for step in event.escalation),
            *(office for step in event.escalation for office in step.joined_by),
        ]
    if isinstance(event, ConsultationConcluded):
        return [event.handler, *event.approved_by]
    if isinstance(event, DecisionMade):
        return [event.decided_by]
    raise TypeError(f"intake learns nothing from {type(event).__name__}")


def classified_targets(event: Event) -> list[TargetSnapshot]:
    if isinstance(event, MatterRouted | ConsultationRequested):
        return list(event.targets)
    if isinstance(event, DecisionMade):
        return [measure.target for measure in event.measures]
    return []


def facts_of(event: Event) -> dict[AccessFactKind, list[str]]:
    """What ``event`` says about who may read its matter, without repeats or empty values."""
    targets = classified_targets(event)
    found = {
        AccessFactKind.OFFICE: named_offices(event),
        AccessFactKind.LEVEL: [level for t in targets for level in (t.cadre_level, t.org_level)],
        AccessFactKind.UNIT: [t.unit for t in targets],
    }
    return {kind: _distinct(values) for kind, values in found.items()}


def _distinct(values: Iterable[str | None]) -> list[str]:
    # A value longer than any unit intake stores could match no linked unit or office.
    return list(dict.fromkeys(v for v in values if v and len(v) <= FACT_VALUE_LENGTH))


class PartiesService:
    def __init__(self, uow: IntakeUnitOfWorkFactory):
        self.uow = uow

    async def learn(self, event: Event) -> None:
        await self.learn_batch([event])

    async def learn_batch(self, events: Sequence[Event]) -> None:
        """Record what a fetched batch of events names, in one transaction: one inbox claim
        per consumer (checked and recorded in one statement), one insert of the facts, one audit
        append per tenant, one commit."""
        async with self.uow() as uow:
            fresh: list[Event] = []
            for consumer in dict.fromkeys(CONSUMERS[type(e)] for e in events):
                mine = [e for e in events if CONSUMERS[type(e)] == consumer]
                new = await uow.repos.inbox.claim_many(consumer, [(str(e.event_id), e.subject) for e in mine])
                for event in mine:
                    if str(event.event_id) in new:
                        new.discard(str(event.event_id))  # the same event twice in one batch counts once
                        fresh.append(event)
            rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
            audit: dict[str, list[AuditRecord]] = {}
            for event in fresh:
                facts = facts_of(event)
                for kind, values in facts.items():
                    for value in values:
                        key = (event.tenant, str(event.matter_id), kind.value, value)
                        rows[key] = dict(zip(("tenant", "matter_id", "kind", "value"), key, strict=True))
                audit.setdefault(event.tenant, []).append(
                    by_system(
                        "matter.parties_learned",
                        "matter",
                        str(event.matter_id),
                        event=event.subject,
                        event_id=str(event.event_id),
                        **{f"{kind.value}s": values for kind, values in facts.items() if values},
                    )
                )
            await uow.repos.matters.learn(list(rows.values()))
            # Tenants in one order, so two batches never wait for each other's chains crosswise.
            for tenant in sorted(audit):
                await uow.repos.audit.append(tenant, audit[tenant])
            await uow.commit()
