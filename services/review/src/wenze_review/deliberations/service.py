"""Consultations (会商) and joint reviews (会审): signatures, approvals, escalation.

One mechanism for both: the kind fixes the capability participants sign with and what a
conclusion does (a consultation announces the chosen handler; a joint review lets its case
go on to the decision).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from wenze.auth.capabilities import APPROVAL_SIGN, CONSULTATION_SIGN, REVIEW_SIGN
from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events.review import ConsultationConcluded, JointReviewConcluded
from wenze.events.routing import ConsultationRequested, MatterRouted
from wenze.ids import new_id
from wenze.problems import NotFound, invalid
from wenze.rules import RulePack, get_pack
from wenze_review.access.policy import audit, authorise, check_readable, system_audit
from wenze_review.deliberations.models import (
    DELIBERATIONS,
    Approval,
    Deliberation,
    DeliberationState,
    EscalationRecord,
    Signature,
)
from wenze_review.deliberations.schemas import (
    ApprovalCreate,
    DeliberationRead,
    EscalationCreate,
    SignatureCreate,
)
from wenze_review.errors import (
    AlreadyApproved,
    AlreadySigned,
    ConsultationNotFound,
    JointReviewNotFound,
    WrongState,
    found,
)
from wenze_review.logic import CONSENSUS_LEVEL, Opinion, consensus, normalise_steps
from wenze_review.numbering import document_number
from wenze_review.repositories import ReviewUnitOfWork, ReviewUnitOfWorkFactory
from wenze_review.work.service import record_step

SYSTEM = "system"
CONSUMER_REQUESTED = "review-consultation-requested"


@dataclass(frozen=True)
class Kind:
    name: str
    sign_capability: str
    chooses_handler: bool
    not_found: type[NotFound]


KINDS = {
    "consultation": Kind("consultation", CONSULTATION_SIGN, True, ConsultationNotFound),
    "joint_review": Kind("joint_review", REVIEW_SIGN, False, JointReviewNotFound),
}

ConcludedHook = Callable[[ReviewUnitOfWork, Deliberation], Awaitable[None]]
PackSource = Callable[[str], RulePack]
Clock = Callable[[], dt.datetime]


class DeliberationService:
    def __init__(self, uow: ReviewUnitOfWorkFactory, *, packs: PackSource = get_pack, clock: Clock = utcnow):
        self.uow = uow
        self.packs = packs
        self.clock = clock
        # What a conclusion does beyond the deliberation itself, per kind (set by the case service).
        self.on_concluded: dict[str, ConcludedHook] = {}

    # -- opening --------------------------------------------------------------------------

    async def consultation_requested(self, event: ConsultationRequested) -> None:
        """Open the consultation a routing slip asks for, once per slip (and per event id).

        Two requests for one slip handled at once: the second breaks the one-consultation-per-slip
        index and is redelivered, then finds the consultation open."""
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_REQUESTED):
                return
            if await uow.repos.deliberations.has_consultation(event.tenant, str(event.slip_id)):
                uow.repos.inbox.record(str(event.event_id), CONSUMER_REQUESTED, event.subject)
                await uow.commit()
                return
            if await uow.repos.cases.has_case_of_slip(event.tenant, str(event.slip_id)):
                # The slip was routed (by an override) before its consultation reached review:
                # there is nothing left for a consultation to decide, so none is opened.
                record_step(
                    uow,
                    kind="consultation",
                    tenant=event.tenant,
                    matter_id=str(event.matter_id),
                    action="consultation_not_opened",
                    actor=SYSTEM,
                    office=event.lead,
                    citations=event.citations,
                    detail={"slip_id": str(event.slip_id), "slip_number": event.slip_number, "reason": "slip_routed"},
                )
                uow.repos.inbox.record(str(event.event_id), CONSUMER_REQUESTED, event.subject)
                await uow.commit()
                return
            consultation = Deliberation(
                id=new_id(),
                tenant=event.tenant,
                kind="consultation",
                matter_id=str(event.matter_id),
                slip_id=str(event.slip_id),
                case_id=None,
                matter_number=event.matter_number,
                summary=event.summary,
                relevant_date=event.relevant_date,
                targets=[t.model_dump() for t in event.targets],
                lead=event.lead,
                participants=list(dict.fromkeys(event.participants)),
                proposed_handler=event.proposed_handler,
                handler_candidates=list(event.handler_candidates),
                approved_by=list(dict.fromkeys(event.approved_by)),
                escalation=normalise_steps(event.escalation),
                state=DeliberationState.SIGNING,
                citations=list(event.citations),
                created_at=self.clock(),
                signatures=[],
                levels=[],
            )
            await self._open(
                uow,
                consultation,
                {
                    "slip_number": event.slip_number,
                    "participants": consultation.participants,
                    "proposed_handler": consultation.proposed_handler,
                },
            )
            # The offices the slip's routing outcome names beyond the form's own: routing shows
            # them the slip, so they read the consultation too.
            await uow.repos.access.note(
                event.tenant, consultation.matter_id, offices=self.packs(event.tenant).parties_named_in(event.outcome)
            )
            uow.repos.inbox.record(str(event.event_id), CONSUMER_REQUESTED, event.subject)
            await uow.repos.audit.append(
                event.tenant,
                [
                    system_audit(
                        "consultation.open",
                        "consultation",
                        consultation.id,
                        matter_id=consultation.matter_id,
                        slip_id=consultation.slip_id,
                        number=consultation.number,
                        state=consultation.state,
                        event_id=str(event.event_id),
                    )
                ],
            )
            await uow.commit()

    async def open_joint_review(
        self,
        uow: ReviewUnitOfWork,
        *,
        review_id: str,
        tenant: str,
        matter_id: str,
        slip_id: str,
        case_id: str,
        matter_number: str,
        summary: str,
        relevant_date: dt.date,
        targets: list[dict],
        outcome: dict[str, Any],
        citations: list[str],
    ) -> None:
        """Open the joint review a case's recommendation needs, in the caller's transaction."""
        review = Deliberation(
            id=review_id,
            tenant=tenant,
            kind="joint_review",
            matter_id=matter_id,
            slip_id=slip_id,
            case_id=case_id,
            matter_number=matter_number,
            summary=summary,
            relevant_date=relevant_date,
            targets=targets,
            lead=outcome.get("joint_review_lead"),
            participants=list(dict.fromkeys(outcome.get("joint_review_participants") or [])),
            proposed_handler=None,
            handler_candidates=[],
            approved_by=list(dict.fromkeys(outcome.get("approved_by") or [])),
            escalation=normalise_steps(outcome.get("joint_review_escalation") or []),
            state=DeliberationState.SIGNING,
            citations=citations,
            created_at=self.clock(),
            signatures=[],
            levels=[],
        )
        await self._open(uow, review, {"participants": review.participants})

    async def _open(self, uow: ReviewUnitOfWork, deliberation: Deliberation, detail: dict[str, Any]) -> None:
        """Number ``deliberation`` for the day it opens, queue its signatures and record the opening."""
        pack = self.packs(deliberation.tenant)
        deliberation.number = await document_number(
            uow.repos.numbers, pack, deliberation.kind, pack.local_date(deliberation.created_at)
        )
        await uow.repos.deliberations.add(deliberation)
        await uow.repos.access.note(
            deliberation.tenant,
            deliberation.matter_id,
            offices=self.parties(deliberation),
            targets=deliberation.targets,
        )
        for office in deliberation.participants:
            self._open_task(uow, deliberation, "signature", office, KINDS[deliberation.kind].sign_capability)
        record_step(
            uow,
            kind=deliberation.kind,
            tenant=deliberation.tenant,
            matter_id=deliberation.matter_id,
            case_id=deliberation.case_id,
            subject_id=deliberation.id,
            action=f"{deliberation.kind}_opened",
            actor=SYSTEM,
            office=deliberation.lead,
            citations=deliberation.citations,
            detail={"number": deliberation.number, **detail},
        )
        # Without participants the round is complete as soon as it opens.
        await self._advance(uow, deliberation, by=SYSTEM)

    @staticmethod
    def parties(d: Deliberation) -> list[str | None]:
        """The offices and bodies the deliberation names: they read its matter (docs/access.md)."""
        levels = [office for step in d.escalation for office in (step.get("actor"), *step.get("joined_by", []))]
        return [d.lead, *d.participants, *d.approved_by, d.proposed_handler, *levels]

    def _open_task(self, uow: ReviewUnitOfWork, d: Deliberation, step: str, office: str, capability: str) -> None:
        uow.repos.work.open_task(
            tenant=d.tenant,
            kind=f"{d.kind}_{step}",
            office=office,
            capability=capability,
            matter_id=d.matter_id,
            case_id=d.case_id,
            subject_id=d.id,
            citations=d.citations,
        )

    async def supersede_consultation(self, uow: ReviewUnitOfWork, event: MatterRouted) -> list[AuditRecord]:
        """An override fixed the handler of ``event``'s slip: its consultation, if review has
        one still standing, is superseded and its open signature, approval and escalation tasks
        are cancelled, in the caller's transaction. The audit entries to append are returned."""
        override = event.override
        d = await uow.repos.deliberations.consultation_of_slip(event.tenant, str(event.slip_id))
        if override is None or d is None or not DELIBERATIONS.allows("supersede", d.state):
            return []
        previous_state = d.state
        await uow.repos.deliberations.move(d, "supersede")
        cancelled = await uow.repos.work.cancel_tasks(d.id, override.by)
        detail = {
            "slip_id": str(event.slip_id),
            "slip_number": event.slip_number,
            "handler": event.handler,
            "reason": override.reason,
            "previous_state": previous_state,
            "cancelled_tasks": cancelled,
        }
        self._record(uow, d, "consultation_superseded", override.by, override.office, **detail)
        return [
            system_audit(
                "consultation.supersede",
                "consultation",
                d.id,
                matter_id=d.matter_id,
                overridden_by=override.by,
                event_id=str(event.event_id),
                **{k: v for k, v in detail.items() if k != "reason"},
            )
        ]

    # -- acting ---------------------------------------------------------------------------

    async def sign(
        self,
        principal: Principal,
        kind: str,
        deliberation_id: str,
        data: SignatureCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        spec = KINDS[kind]

        async def act(uow: ReviewUnitOfWork) -> dict:
            d = await self._get(uow, principal, kind, deliberation_id, for_update=True)
            office = authorise(
                principal,
                d.targets,
                step=f"{kind} {d.number or d.id} signature",
                offices=d.participants,
                capability=spec.sign_capability,
                assigned=await uow.repos.work.was_given(d.id, f"{kind}_signature", principal.username),
            )
            if d.state != DeliberationState.SIGNING:
                raise WrongState(f"{self._state_in_words(d)}; signatures are closed")
            self._check_not_signed(d, principal.username, office)
            handler = self._check_opinion(principal.tenant, d, data, spec)
            signature = Signature(
                office=office,
                username=principal.username,
                opinion=data.opinion,
                handler=handler,
                text=data.text,
                signed_at=self.clock(),
            )
            await uow.repos.deliberations.add_signature(d, signature)
            await uow.repos.work.close_tasks(d.id, f"{kind}_signature", principal.username, office=office)
            self._record(
                uow,
                d,
                f"{kind}_signed",
                principal.username,
                office,
                opinion=data.opinion,
                handler=handler,
                text=data.text,
            )
            await self._advance(uow, d, by=principal.username)
            read = await self._read(uow, d)
            await self._audit(uow, principal, client_address, d, "sign", opinion=data.opinion, handler=handler)
            return read

        return await run_once(self.uow, idempotency, act)

    @staticmethod
    def _state_in_words(d: Deliberation) -> str:
        what = f"{d.kind.replace('_', ' ')} {d.number or d.id}"
        if d.state == DeliberationState.SUPERSEDED:
            return f"{what} was superseded: its routing slip's handler was set by an override"
        return f"{what} is {d.state}"

    @staticmethod
    def _check_not_signed(d: Deliberation, username: str, office: str) -> None:
        if any(s.username == username for s in d.signatures):
            raise AlreadySigned(f"{username} has already signed this {d.kind}", extra={"username": username})
        if any(s.office == office for s in d.signatures):
            raise AlreadySigned(f"{office} has already signed this {d.kind}", extra={"office": office})

    def _check_opinion(self, tenant: str, d: Deliberation, data: SignatureCreate, spec: Kind) -> str | None:
        """The handler the opinion names (a consultation's), once the opinion is found well formed."""
        if data.opinion == "other" and not data.text:
            raise invalid("body.text", "another opinion needs its text", code="opinion_text_required")
        if not spec.chooses_handler:
            if data.handler is not None:
                raise invalid(
                    "body.handler", "a joint review's opinion names no handler", code="joint_review_names_no_handler"
                )
            return None
        if data.opinion == "agree":
            if d.proposed_handler is None:
                raise invalid(
                    "body.opinion",
                    "there is no proposed handler to agree with; name one with `other`",
                    code="no_proposed_handler",
                )
            if data.handler not in (None, d.proposed_handler):
                raise invalid(
                    "body.handler",
                    "agreeing names the proposed handler; use `other` for another",
                    code="agree_names_proposed_handler",
                )
            return d.proposed_handler
        if data.handler is None:
            raise invalid("body.handler", "another opinion names the handler it proposes", code="handler_required")
        self._check_handler(tenant, d, data.handler)
        return data.handler

    def _check_handler(self, tenant: str, d: Deliberation, handler: str) -> None:
        pack = self.packs(tenant)
        known = {**pack.vocabulary.get("offices", {}), **pack.vocabulary.get("bodies", {})}
        if handler not in known:
            raise invalid(
                "body.handler", f"{handler!r} is not an office or body of {tenant}'s pack", code="unknown_office"
            )
        allowed = set(d.handler_candidates) | ({d.proposed_handler} if d.proposed_handler else set())
        if d.handler_candidates and handler not in allowed:
            raise invalid(
                "body.handler",
                f"{handler!r} is not among the candidates {sorted(allowed)}",
                code="handler_not_a_candidate",
            )

    async def approve(
        self,
        principal: Principal,
        kind: str,
        deliberation_id: str,
        data: ApprovalCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        async def act(uow: ReviewUnitOfWork) -> dict:
            d = await self._get(uow, principal, kind, deliberation_id, for_update=True)
            office = authorise(
                principal,
                d.targets,
                step=f"{kind} {d.number or d.id} approval",
                offices=d.approved_by,
                capability=APPROVAL_SIGN,
                assigned=await uow.repos.work.was_given(d.id, f"{kind}_approval", principal.username),
            )
            if d.state != DeliberationState.APPROVING:
                raise WrongState(f"{self._state_in_words(d)}; it is not awaiting approval")
            if any(a.office == office for a in await uow.repos.deliberations.approvals(d.id)):
                raise AlreadyApproved(f"{office} has already approved this {kind}", extra={"office": office})
            await uow.repos.deliberations.add_approval(
                Approval(
                    tenant=d.tenant,
                    subject_kind=kind,
                    subject_id=d.id,
                    office=office,
                    username=principal.username,
                    comment=data.comment,
                    approved_at=self.clock(),
                )
            )
            await uow.repos.work.close_tasks(d.id, f"{kind}_approval", principal.username, office=office)
            self._record(uow, d, f"{kind}_approved", principal.username, office, comment=data.comment)
            await self._advance(uow, d, by=principal.username)
            read = await self._read(uow, d)
            await self._audit(uow, principal, client_address, d, "approve")
            return read

        return await run_once(self.uow, idempotency, act)

    async def escalate(
        self,
        principal: Principal,
        kind: str,
        deliberation_id: str,
        data: EscalationCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        async def act(uow: ReviewUnitOfWork) -> dict:
            d = await self._get(uow, principal, kind, deliberation_id, for_update=True)
            if d.state != DeliberationState.ESCALATED or d.level is None:
                raise WrongState(f"{self._state_in_words(d)}; no escalation level is deciding")
            step = d.escalation[d.level]
            actors = [step["actor"]] if step.get("actor") else []
            office = authorise(
                principal,
                d.targets,
                step=f"{kind} {d.number or d.id} escalation level {step['step']}",
                offices=actors,
                capability=APPROVAL_SIGN,
                assigned=await uow.repos.work.was_given(d.id, f"{kind}_escalation", principal.username),
            )
            handler = self._check_level_outcome(principal.tenant, d, data)
            level = EscalationRecord(
                level=d.level,
                step=step["step"],
                actor=step.get("actor"),
                outcome=data.outcome,
                handler=handler,
                text=data.text,
                username=principal.username,
                office=office,
                recorded_at=self.clock(),
            )
            await uow.repos.deliberations.add_level(d, level)
            await uow.repos.work.close_tasks(d.id, f"{kind}_escalation", principal.username)
            self._record(
                uow,
                d,
                f"{kind}_escalation_{data.outcome}",
                principal.username,
                office,
                level=d.level,
                step=step["step"],
                handler=handler,
                text=data.text,
            )
            level_index = d.level
            if data.outcome == "decided":
                await self._conclude(
                    uow, d, handler=handler, level=step["step"], approved_by=actors, by=principal.username
                )
            else:
                await uow.repos.deliberations.move(d, "refer_to_next_level", level=d.level + 1)
                self._open_level(uow, d)
            read = await self._read(uow, d)
            await self._audit(
                uow, principal, client_address, d, "escalate", outcome=data.outcome, level=level_index, handler=handler
            )
            return read

        return await run_once(self.uow, idempotency, act)

    def _check_level_outcome(self, tenant: str, d: Deliberation, data: EscalationCreate) -> str | None:
        """The handler a deciding level names (a consultation's); the last level must decide."""
        if data.outcome == "no_agreement":
            assert d.level is not None
            if d.level == len(d.escalation) - 1:
                raise invalid(
                    "body.outcome",
                    f"{d.escalation[d.level]['step']} is the last level of the chain: it must decide",
                    code="last_level_must_decide",
                    citations=d.citations,
                )
            return None
        if not KINDS[d.kind].chooses_handler:
            if data.handler is not None:
                raise invalid(
                    "body.handler", "a joint review's decision names no handler", code="joint_review_names_no_handler"
                )
            return None
        if data.handler is None:
            raise invalid("body.handler", "a level that decides names the handler", code="handler_required")
        self._check_handler(tenant, d, data.handler)
        return data.handler

    # -- moving on --------------------------------------------------------------------------

    async def _advance(self, uow: ReviewUnitOfWork, d: Deliberation, *, by: str) -> None:
        """Move on once a round of signatures or approvals is complete."""
        if d.state == DeliberationState.SIGNING:
            await self._after_signature(uow, d, by=by)
        elif d.state == DeliberationState.APPROVING:
            await self._after_approval(uow, d, by=by)

    async def _after_signature(self, uow: ReviewUnitOfWork, d: Deliberation, *, by: str) -> None:
        opinions = [
            Opinion(s.office, s.opinion == "agree", s.handler) for s in d.signatures if s.office in d.participants
        ]
        complete, agreed = consensus(
            d.participants, opinions, d.proposed_handler, choose_handler=KINDS[d.kind].chooses_handler
        )
        if not complete:
            return
        if agreed is None:
            await self._without_consensus(uow, d)
        elif d.approved_by:
            await self._await_approvals(uow, d, handler=agreed or None)
        else:
            await self._conclude(uow, d, handler=agreed or None, level=CONSENSUS_LEVEL, approved_by=[], by=by)

    async def _without_consensus(self, uow: ReviewUnitOfWork, d: Deliberation) -> None:
        if not d.escalation:
            await uow.repos.deliberations.move(d, "deadlock")
            self._record(uow, d, f"{d.kind}_deadlocked", SYSTEM, None)
            return
        await uow.repos.deliberations.move(d, "escalate", level=0)
        self._record(uow, d, f"{d.kind}_escalated", SYSTEM, None, level=0, step=d.escalation[0]["step"])
        self._open_level(uow, d)

    async def _await_approvals(self, uow: ReviewUnitOfWork, d: Deliberation, *, handler: str | None) -> None:
        await uow.repos.deliberations.move(d, "await_approval", handler=handler, decided_at_level=CONSENSUS_LEVEL)
        for office in d.approved_by:
            self._open_task(uow, d, "approval", office, APPROVAL_SIGN)

    async def _after_approval(self, uow: ReviewUnitOfWork, d: Deliberation, *, by: str) -> None:
        approved = {a.office for a in await uow.repos.deliberations.approvals(d.id)}
        if set(d.approved_by) <= approved:
            await self._conclude(
                uow, d, handler=d.handler, level=CONSENSUS_LEVEL, approved_by=list(d.approved_by), by=by
            )

    def _open_level(self, uow: ReviewUnitOfWork, d: Deliberation) -> None:
        assert d.level is not None
        actor = d.escalation[d.level].get("actor")
        if actor:
            self._open_task(uow, d, "escalation", actor, APPROVAL_SIGN)

    async def _conclude(
        self,
        uow: ReviewUnitOfWork,
        d: Deliberation,
        *,
        handler: str | None,
        level: str,
        approved_by: list[str],
        by: str,
    ) -> None:
        await uow.repos.deliberations.move(
            d, "conclude", handler=handler, decided_at_level=level, concluded_at=self.clock()
        )
        self._record(
            uow, d, f"{d.kind}_concluded", by, None, handler=handler, decided_at_level=level, approved_by=approved_by
        )
        if d.kind == "consultation":
            uow.publish(
                ConsultationConcluded(
                    tenant=d.tenant,
                    matter_id=uuid.UUID(d.matter_id),
                    consultation_id=uuid.UUID(d.id),
                    slip_id=uuid.UUID(d.slip_id),
                    handler=handler,
                    decided_at_level=level,
                    approved_by=approved_by,
                    number=d.number,
                )
            )
        elif d.kind == "joint_review":
            uow.publish(
                JointReviewConcluded(
                    tenant=d.tenant,
                    matter_id=uuid.UUID(d.matter_id),
                    joint_review_id=uuid.UUID(d.id),
                    slip_id=uuid.UUID(d.slip_id),
                    number=d.number,
                    decided_at_level=level,
                    approved_by=approved_by,
                )
            )
        hook = self.on_concluded.get(d.kind)
        if hook is not None:
            await hook(uow, d)

    @staticmethod
    def _record(
        uow: ReviewUnitOfWork, d: Deliberation, action: str, actor: str, office: str | None, **detail: Any
    ) -> None:
        record_step(
            uow,
            kind=d.kind,
            tenant=d.tenant,
            matter_id=d.matter_id,
            case_id=d.case_id,
            subject_id=d.id,
            action=action,
            actor=actor,
            office=office,
            citations=d.citations,
            detail=detail,
        )

    # -- reading ----------------------------------------------------------------------------

    async def get(
        self, principal: Principal, kind: str, deliberation_id: str, *, client_address: str | None = None
    ) -> DeliberationRead:
        async with self.uow() as uow:
            d = await self._get(uow, principal, kind, deliberation_id)
            read = DeliberationRead.model_validate(await self._read(uow, d))
            await self._audit(uow, principal, client_address, d, "read")
            await uow.commit()
            return read

    @staticmethod
    async def _get(
        uow: ReviewUnitOfWork, principal: Principal, kind: str, deliberation_id: str, *, for_update: bool = False
    ) -> Deliberation:
        """The deliberation, if it is in the caller's tenant and the caller may read its matter."""
        what = kind.replace("_", " ")
        d = await found(
            deliberation_id,
            KINDS[kind].not_found,
            what,
            lambda: uow.repos.deliberations.get(principal.tenant, kind, deliberation_id, for_update=for_update),
        )
        await check_readable(uow, principal, d.matter_id, KINDS[kind].not_found, what, deliberation_id)
        return d

    @staticmethod
    async def _audit(
        uow: ReviewUnitOfWork,
        principal: Principal,
        client_address: str | None,
        d: Deliberation,
        verb: str,
        **detail: Any,
    ) -> None:
        """Last in the transaction: appending holds the tenant's audit chain until the commit."""
        record = audit(
            principal, client_address, f"{d.kind}.{verb}", d.kind, d.id, matter_id=d.matter_id, state=d.state, **detail
        )
        await uow.repos.audit.append(principal.tenant, [record])

    @staticmethod
    async def _read(uow: ReviewUnitOfWork, d: Deliberation) -> dict:
        approvals = await uow.repos.deliberations.approvals(d.id)
        signed = {s.office for s in d.signatures}
        approved = {a.office for a in approvals}
        current = None
        if d.state == DeliberationState.ESCALATED and d.level is not None:
            current = {"index": d.level, **d.escalation[d.level]}
        read = DeliberationRead(
            id=d.id,
            kind=d.kind,
            number=d.number,
            matter_id=d.matter_id,
            slip_id=d.slip_id,
            case_id=d.case_id,
            matter_number=d.matter_number,
            summary=d.summary,
            state=d.state,
            lead=d.lead,
            participants=d.participants,
            proposed_handler=d.proposed_handler,
            handler_candidates=d.handler_candidates,
            approved_by=d.approved_by,
            escalation=d.escalation,
            current_level=current,
            handler=d.handler,
            decided_at_level=d.decided_at_level,
            citations=d.citations,
            signatures=d.signatures,
            approvals=approvals,
            levels=d.levels,
            awaiting_signatures=[o for o in d.participants if o not in signed]
            if d.state == DeliberationState.SIGNING
            else [],
            awaiting_approvals=[o for o in d.approved_by if o not in approved]
            if d.state == DeliberationState.APPROVING
            else [],
            created_at=d.created_at,
            concluded_at=d.concluded_at,
        )
        return read.model_dump(mode="json")
