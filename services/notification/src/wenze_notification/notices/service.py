"""Notices: made once per event by the pack's notices section, kept in the recipients' inboxes,
and handed to the deliveries (e-mail, webhooks) that carry them further."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.events import (
    AppealDecided,
    AppealFiled,
    ConsultationConcluded,
    ConsultationRequested,
    DeadlineDue,
    DeadlineMissed,
    DecisionMade,
    Event,
    ExecutionCompleted,
    ExecutionOpened,
    JointReviewConcluded,
    MatterAccepted,
    MatterReceived,
    MatterRejected,
    MatterRouted,
)
from wenze.ids import new_id
from wenze.rules import RulePack
from wenze.rules.compiled import NoticeSpec
from wenze_notification.audit import audit, system_audit
from wenze_notification.deliveries.models import Channel, Delivery
from wenze_notification.directory.models import Contact, Subscription
from wenze_notification.errors import NoticeNotFound, found
from wenze_notification.matters import service as matters
from wenze_notification.matters.models import KnownMatter
from wenze_notification.notices.models import Notice, RecipientKind
from wenze_notification.notices.recipients import ORIGINATING_UNIT, Party, label_of, resolve
from wenze_notification.notices.templates import render_notice
from wenze_notification.repositories import NotificationUnitOfWork, NotificationUnitOfWorkFactory, kept


class NoticeService:
    def __init__(
        self, uow: NotificationUnitOfWorkFactory, *, packs: Callable[[str], RulePack], clock: Callable[[], dt.datetime]
    ) -> None:
        self.uow = uow
        self.packs = packs
        self.clock = clock

    # Events → notices. Each runs once per event (the inbox) and makes the notices the pack
    # names for it, in the same transaction as what it learns about the matter.

    async def matter_received(self, event: MatterReceived) -> None:
        await self._on(event, "matter_received", matters.note_received)

    async def matter_accepted(self, event: MatterAccepted) -> None:
        await self._on(event, "matter_accepted", matters.note_accepted)

    async def matter_rejected(self, event: MatterRejected) -> None:
        await self._on(event, "matter_rejected", None)

    async def matter_routed(self, event: MatterRouted) -> None:
        await self._on(event, "matter_routed", matters.note_routed)

    async def consultation_requested(self, event: ConsultationRequested) -> None:
        await self._on(event, "consultation_requested", matters.note_consultation_requested)

    async def consultation_concluded(self, event: ConsultationConcluded) -> None:
        await self._on(event, "consultation_concluded", matters.note_consultation)

    async def joint_review_concluded(self, event: JointReviewConcluded) -> None:
        await self._on(event, "joint_review_concluded", matters.note_joint_review)

    async def decision_made(self, event: DecisionMade) -> None:
        measures = [m for decided in event.measures for m in decided.measures]
        await self._on(event, "decision_made", matters.note_decision, measures=measures)

    async def execution_opened(self, event: ExecutionOpened) -> None:
        await self._on(event, "execution_opened", None, measures=[event.measure])

    async def execution_completed(self, event: ExecutionCompleted) -> None:
        await self._on(event, "execution_completed", None)

    async def deadline_due(self, event: DeadlineDue) -> None:
        await self._on(event, "deadline_due", None)

    async def deadline_missed(self, event: DeadlineMissed) -> None:
        await self._on(event, "deadline_missed", None)

    async def appeal_filed(self, event: AppealFiled) -> None:
        await self._on(event, "appeal_filed", None)

    async def appeal_decided(self, event: AppealDecided) -> None:
        await self._on(event, "appeal_decided", None, measures=list(event.measures))

    async def _on(
        self,
        event: Event,
        event_name: str,
        learn: Callable[[NotificationUnitOfWork, Any], Any] | None,
        *,
        measures: Sequence[str] = (),
    ) -> None:
        consumer = f"notification-{event_name}"
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), consumer):
                return
            matter = await learn(uow, event) if learn is not None else None
            if matter is None:
                matter = await uow.repos.matters.get(event.tenant, str(event.matter_id))
            made = await self._tell(uow, event, event_name, matter, measures)
            uow.repos.inbox.record(str(event.event_id), consumer, event.subject)
            if made:
                await uow.repos.audit.append(
                    event.tenant,
                    [
                        system_audit(
                            "notices.make",
                            "matter",
                            str(event.matter_id),
                            event_id=str(event.event_id),
                            event=event_name,
                            notices=[
                                {"id": n.id, "notice": n.notice, "recipient": n.recipient, "cite": n.citations}
                                for n in made
                            ],
                        )
                    ],
                )
            await uow.commit()

    async def _tell(
        self,
        uow: NotificationUnitOfWork,
        event: Event,
        event_name: str,
        matter: KnownMatter | None,
        measures: Sequence[str],
    ) -> list[Notice]:
        pack = self.packs(event.tenant)
        specs = pack.notices_on(event_name, pack.local_date(event.occurred_at), measures=measures)
        if not specs:
            return []
        if any(ORIGINATING_UNIT in spec.to for spec in specs) and (matter is None or matter.source is None):
            # The streams are consumed side by side, so after an outage a decision can come
            # before the matter's receipt: addressing it now would leave out the unit that
            # raised the matter for good. Handled again later, by then the receipt is known.
            raise matters.MatterNotYetKnown(str(event.matter_id), event_name)
        payload = event.model_dump(mode="json")
        subscriptions = await uow.repos.directory.active_subscriptions(event.tenant)
        made: list[Notice] = []
        deliveries: list[Delivery] = []
        for spec in specs:
            parties = resolve(pack, spec.to, matter, payload)
            contacts = await uow.repos.directory.contacts(event.tenant, [p.code for p in parties])
            for party in parties:
                context = _context(pack, matter, payload, party, spec.citation.text)
                subject, body = render_notice(pack.notice_template(spec.notice), context)

                matter_number = matter.number if matter is not None else payload.get("matter_number")
                made_for = _NoticeMaker(event, event_name, matter_number, spec, subject, body, self.clock())
                addressed = made_for(party.kind, party.code, party.label)
                made.append(addressed)
                for contact in (c for c in contacts if c.party == party.code):
                    if contact.username and party.kind == RecipientKind.OFFICE:
                        # A member of the office's staff: a personal copy in their own inbox, e-mailed to them.
                        personal = made_for(RecipientKind.USER, contact.username, contact.name)
                        made.append(personal)
                        deliveries.append(_email(personal, contact))
                    else:
                        deliveries.append(_email(addressed, contact))
                deliveries += [_webhook(addressed, s) for s in subscriptions if _wants(s, spec.notice, party)]
        uow.repos.notices.add(made)
        await uow.session.flush()
        uow.repos.deliveries.add(deliveries)
        return made

    # The inboxes.

    async def inbox(
        self,
        principal: Principal,
        box: str,
        *,
        state: str | None,
        notice: str | None,
        matter_id: str | None,
        limit: int,
    ) -> list[Notice]:
        async with self.uow() as uow:
            return kept(
                uow,
                await uow.repos.notices.for_recipient(
                    principal.tenant,
                    _boxes(principal, box),
                    state=state,
                    notice=notice,
                    matter_id=matter_id,
                    limit=limit,
                ),
            )

    async def get(self, principal: Principal, notice_id: str) -> Notice:
        async with self.uow() as uow:
            return kept(
                uow,
                await found(
                    notice_id,
                    NoticeNotFound,
                    "notice",
                    lambda: uow.repos.notices.get_for(principal.tenant, notice_id, _boxes(principal, "all")),
                ),
            )

    async def mark(self, principal: Principal, notice_id: str, action: str, *, client_address: str | None) -> Notice:
        """``read`` or ``unread``: a notice of the caller's office or of the caller."""
        async with self.uow() as uow:
            item = await found(
                notice_id,
                NoticeNotFound,
                "notice",
                lambda: uow.repos.notices.get_for(principal.tenant, notice_id, _boxes(principal, "all")),
            )
            if action == "read":
                await uow.repos.notices.move(item, "read", read_at=self.clock(), read_by=principal.username)
            else:
                await uow.repos.notices.move(item, "unread", read_at=None, read_by=None)
            await uow.repos.audit.append(
                principal.tenant, [audit(principal, client_address, f"notice.{action}", "notice", item.id)]
            )
            await uow.commit()
            return kept(uow, item)


@dataclass(frozen=True)
class _NoticeMaker:
    """One notice of a pack's entry, rendered once, made for each recipient it goes to."""

    event: Event
    event_name: str
    matter_number: str | None
    spec: NoticeSpec
    subject: str
    body: str
    now: dt.datetime

    def __call__(self, kind: str, recipient: str, label: str) -> Notice:
        return Notice(
            id=new_id(),
            tenant=self.event.tenant,
            matter_id=str(self.event.matter_id),
            matter_number=self.matter_number,
            event_id=str(self.event.event_id),
            event_type=self.event_name,
            notice=self.spec.notice,
            recipient_kind=kind,
            recipient=recipient,
            recipient_label=label,
            subject=self.subject,
            body=self.body,
            citations=[self.spec.citation.text],
            created_at=self.now,
        )


def _boxes(principal: Principal, box: str) -> list[tuple[str, str]]:
    """The recipients whose notices the caller reads: their office's (``office``), their own
    (``personal``), or both (``all``)."""
    boxes: list[tuple[str, str]] = []
    if box in ("office", "all") and principal.office:
        boxes.append((RecipientKind.OFFICE, principal.office))
    if box in ("personal", "all"):
        boxes.append((RecipientKind.USER, principal.username))
    return boxes


def _wants(subscription: Subscription, notice: str, party: Party) -> bool:
    return (not subscription.notices or notice in subscription.notices) and (
        not subscription.parties or party.code in subscription.parties
    )


def _email(notice: Notice, contact: Contact) -> Delivery:
    return Delivery(
        id=new_id(),
        tenant=notice.tenant,
        notice_id=notice.id,
        channel=Channel.EMAIL,
        destination=contact.email,
        attempts=0,
        next_attempt_at=utcnow(),
    )


def _webhook(notice: Notice, subscription: Subscription) -> Delivery:
    return Delivery(
        id=new_id(),
        tenant=notice.tenant,
        notice_id=notice.id,
        channel=Channel.WEBHOOK,
        destination=subscription.url,
        subscription_id=subscription.id,
        attempts=0,
        next_attempt_at=utcnow(),
    )


def _context(
    pack: RulePack, matter: KnownMatter | None, event: dict[str, Any], party: Party, citation: str
) -> dict[str, Any]:
    """What a notice template is given: the matter, the event, the recipient and the article."""

    def label(vocabulary: str, code: str) -> str:
        return pack.vocabulary.get(vocabulary, {}).get(code) or label_of(pack, code)

    measures = [
        {
            "target": _person(m.get("target", {})),
            "measures": "、".join(label("measures", code) for code in m.get("measures", [])),
        }
        for m in event.get("measures", [])
        if isinstance(m, dict)
    ]
    return {
        "tenant_title": pack.title,
        "matter": {
            "number": matter.number if matter is not None else event.get("matter_number", ""),
            "summary": matter.summary if matter is not None else event.get("summary", ""),
            "source": label("intake_sources", matter.source) if matter is not None and matter.source else "",
        },
        "event": event,
        "measures": measures,
        "recipient": party.label,
        "citation": citation,
        "label": label,
    }


def _person(target: dict[str, Any]) -> str:
    name = target.get("name") or "（未明确）"
    details = "，".join(part for part in (target.get("unit"), target.get("post")) if part)
    return f"{name}（{details}）" if details else name
