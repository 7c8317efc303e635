"""What notification keeps of each matter from the other services' events: where it came from,
who handles it and is copied, what was decided. Notices are addressed and documents filled from it."""

from __future__ import annotations

from wenze.events import (
    ConsultationConcluded,
    ConsultationRequested,
    DecisionMade,
    JointReviewConcluded,
    MatterAccepted,
    MatterReceived,
    MatterRouted,
)
from wenze.messaging.consumer import HandleLater
from wenze_notification.matters.models import KnownMatter
from wenze_notification.repositories import NotificationUnitOfWork


async def note_received(uow: NotificationUnitOfWork, event: MatterReceived) -> KnownMatter:
    matter = await uow.repos.matters.get_or_add(event.tenant, str(event.matter_id), event.number)
    matter.source = event.source
    matter.source_reference = event.source_reference
    matter.summary = event.summary
    matter.targets = [t.model_dump(mode="json") for t in event.targets]
    matter.received_on = event.occurred_at.date()
    return matter


async def note_accepted(uow: NotificationUnitOfWork, event: MatterAccepted) -> KnownMatter:
    matter = await uow.repos.matters.get_or_add(event.tenant, str(event.matter_id), event.number)
    matter.source = event.source
    matter.summary = event.summary
    matter.facts = event.facts
    matter.targets = [t.model_dump(mode="json") for t in event.targets]
    return matter


async def note_routed(uow: NotificationUnitOfWork, event: MatterRouted) -> KnownMatter:
    matter = await uow.repos.matters.get_or_add(event.tenant, str(event.matter_id), event.matter_number)
    matter.slip_number = event.slip_number
    matter.summary = matter.summary or event.summary
    matter.handler = event.handler
    matter.cc = list(event.cc)
    matter.routing_citations = list(event.citations)
    matter.routed_on = event.occurred_at.date()
    if not matter.targets:
        matter.targets = [t.model_dump(mode="json") for t in event.targets]
    return matter


class MatterNotYetKnown(HandleLater):
    """An event that needs what an earlier event of the matter tells (its receipt, its
    consultation's request) came first: the streams are consumed side by side. The consumer
    hands it back to be delivered again (wenze.messaging.consumer)."""

    def __init__(self, matter_id: str, event_name: str) -> None:
        super().__init__(f"{event_name} for matter {matter_id} before what it builds on; handled again later")


async def known(uow: NotificationUnitOfWork, event: ConsultationConcluded | JointReviewConcluded) -> KnownMatter:
    matter = await uow.repos.matters.get(event.tenant, str(event.matter_id))
    if matter is None:
        raise MatterNotYetKnown(str(event.matter_id), f"{event.aggregate}.{event.name}")
    return matter


async def note_consultation(uow: NotificationUnitOfWork, event: ConsultationConcluded) -> KnownMatter:
    matter = await known(uow, event)
    matter.consultation = {
        **(matter.consultation or {}),
        "handler": event.handler,
        "decided_at_level": event.decided_at_level,
        "approved_by": list(event.approved_by),
        "concluded_on": event.occurred_at.date().isoformat(),
        # Review's number for the 会商表; events published before it was carried have none.
        **({"number": event.number} if event.number else {}),
    }
    return matter


async def note_joint_review(uow: NotificationUnitOfWork, event: JointReviewConcluded) -> KnownMatter:
    matter = await known(uow, event)
    matter.joint_review = {
        "number": event.number,
        "decided_at_level": event.decided_at_level,
        "approved_by": list(event.approved_by),
        "concluded_on": event.occurred_at.date().isoformat(),
    }
    return matter


async def note_decision(uow: NotificationUnitOfWork, event: DecisionMade) -> KnownMatter:
    matter = await uow.repos.matters.get_or_add(event.tenant, str(event.matter_id), event.matter_number)
    matter.decision = event.model_dump(
        mode="json", include={"decision_id", "number", "decided_by", "decided_on", "measures", "citations"}
    )
    return matter


async def note_consultation_requested(uow: NotificationUnitOfWork, event: ConsultationRequested) -> KnownMatter:
    matter = await uow.repos.matters.get_or_add(event.tenant, str(event.matter_id), event.matter_number)
    matter.summary = matter.summary or event.summary
    matter.consultation = {
        **(matter.consultation or {}),
        "lead": event.lead,
        "participants": list(event.participants),
        "requested_on": event.occurred_at.date().isoformat(),
    }
    if not matter.targets:
        matter.targets = [t.model_dump(mode="json") for t in event.targets]
    return matter
