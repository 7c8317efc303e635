"""Consultations (会商) and joint reviews (会审): signatures, approvals, escalation.

One mechanism for both: the kind fixes the capability participants sign with and what a
conclusion does (a consultation announces the chosen handler; a joint review lets its case
go on to the decision).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wenze.auth.capabilities import APPROVAL_SIGN, CONSULTATION_SIGN, REVIEW_SIGN
from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events.review import ConsultationConcluded
from wenze.events.routing import ConsultationRequested
from wenze.ids import new_id
from wenze.problems import invalid
from wenze.rules import get_pack
from wenze_review.access import authorise
from wenze_review.deliberations.models import Approval, Deliberation, EscalationRecord, Signature
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
from wenze_review.numbering import next_number

SYSTEM = "system"
CONSUMER_REQUESTED = "review-consultation-requested"


@dataclass(frozen=True)
class Kind:
    name: str
    sign_capability: str
    chooses_handler: bool
    not_found: type


KINDS = {
    "consultation": Kind("consultation", CONSULTATION_SIGN, True, ConsultationNotFound),
    "joint_review": Kind("joint_review", REVIEW_SIGN, False, JointReviewNotFound),
}

ConcludedHook = Callable[[object, Deliberation], Awaitable[None]]


class DeliberationService:
    def __init__(self, uow):
        self.uow = uow
        # What a conclusion does beyond the deliberation itself, per kind (set by the case service).
        self.on_concluded: dict[str, ConcludedHook] = {}

    # -- opening --------------------------------------------------------------------------

    async def consultation_requested(self, event: ConsultationRequested) -> None:
        """Open the consultation a routing slip asks for (idempotent per event id)."""
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_REQUESTED):
                return
            pack = get_pack(event.tenant)
            opened_at = utcnow()
            number, _ = await next_number(uow.session, pack, "consultation", pack.local_date(opened_at))
            deliberation = Deliberation(
                id=new_id(),
                tenant=event.tenant,
                kind="consultation",
                number=number,
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
                state="signing",
                citations=list(event.citations),
                created_at=opened_at,
                signatures=[],
                levels=[],
            )
            uow.repos.deliberations.add(deliberation)
            self._open_signing(uow, deliberation)
            uow.repos.work.record(
                tenant=event.tenant,
                matter_id=deliberation.matter_id,
                action="consultation_opened",
                actor=SYSTEM,
                office=deliberation.lead,
                subject_id=deliberation.id,
                citations=deliberation.citations,
                detail={
                    "number": number,
                    "slip_number": event.slip_number,
                    "participants": deliberation.participants,
                    "proposed_handler": deliberation.proposed_handler,
                },
            )
            await self._advance(uow, deliberation, by=SYSTEM)
            uow.repos.inbox.record(str(event.event_id), CONSUMER_REQUESTED, event.subject)
            await uow.commit()

    async def open_joint_review(
        self,
        uow,
        *,
        tenant: str,
        matter_id: str,
        slip_id: str,
        case_id: str,
        matter_number: str,
        summary: str,
        relevant_date,
        targets: list[dict],
        outcome: dict,
        citations: list[str],
    ) -> Deliberation:
        """Open the joint review a case's recommendation needs, in the caller's transaction."""
        pack = get_pack(tenant)
        opened_at = utcnow()
        number, _ = await next_number(uow.session, pack, "joint_review", pack.local_date(opened_at))
        participants = list(dict.fromkeys(outcome.get("joint_review_participants") or []))
        deliberation = Deliberation(
            id=new_id(),
            tenant=tenant,
            kind="joint_review",
            number=number,
            matter_id=matter_id,
            slip_id=slip_id,
            case_id=case_id,
            matter_number=matter_number,
            summary=summary,
            relevant_date=relevant_date,
            targets=targets,
            lead=outcome.get("joint_review_lead"),
            participants=participants,
            proposed_handler=None,
            handler_candidates=[],
            approved_by=list(dict.fromkeys(outcome.get("approved_by") or [])),
            escalation=normalise_steps(outcome.get("joint_review_escalation") or []),
            state="signing",
            citations=citations,
            created_at=opened_at,
            signatures=[],
            levels=[],
        )
        uow.repos.deliberations.add(deliberation)
        self._open_signing(uow, deliberation)
        uow.repos.work.record(
            tenant=tenant,
            matter_id=matter_id,
            case_id=case_id,
            action="joint_review_opened",
            actor=SYSTEM,
            office=deliberation.lead,
            subject_id=deliberation.id,
            citations=citations,
            detail={"number": number, "participants": participants},
        )
        await self._advance(uow, deliberation, by=SYSTEM)
        return deliberation

    def _open_signing(self, uow, d: Deliberation) -> None:
        for office in d.participants:
            uow.repos.work.open_task(
                tenant=d.tenant,
                kind=f"{d.kind}_signature",
                office=office,
                capability=KINDS[d.kind].sign_capability,
                matter_id=d.matter_id,
                case_id=d.case_id,
                subject_id=d.id,
                citations=d.citations,
            )

    # -- acting ---------------------------------------------------------------------------

    async def sign(
        self,
        principal: Principal,
        kind: str,
        deliberation_id: str,
        data: SignatureCreate,
        idempotency: IdempotentRequest | None,
    ) -> dict:
        spec = KINDS[kind]

        async def act(uow) -> dict:
            d = await self._get(uow, principal.tenant, kind, deliberation_id, for_update=True)
            office = authorise(principal, f"{kind} {d.number or d.id} signature", d.participants, spec.sign_capability)
            if d.state != "signing":
                raise WrongState(f"the {kind} is {d.state}; signatures are closed")
            if any(s.username == principal.username for s in d.signatures):
                raise AlreadySigned(
                    f"{principal.username} has already signed this {kind}", extra={"username": principal.username}
                )
            if any(s.office == office for s in d.signatures):
                raise AlreadySigned(f"{office} has already signed this {kind}", extra={"office": office})
            handler = self._check_opinion(principal.tenant, d, data, spec)
            d.signatures.append(
                Signature(
                    office=office,
                    username=principal.username,
                    opinion=data.opinion,
                    handler=handler,
                    text=data.text,
                    signed_at=utcnow(),
                )
            )
            await uow.repos.work.close_tasks(d.id, f"{kind}_signature", principal.username, office=office)
            uow.repos.work.record(
                tenant=d.tenant,
                matter_id=d.matter_id,
                case_id=d.case_id,
                subject_id=d.id,
                action=f"{kind}_signed",
                actor=principal.username,
                office=office,
                citations=d.citations,
                detail={"opinion": data.opinion, "handler": handler, "text": data.text},
            )
            await self._advance(uow, d, by=principal.username)
            return await self._read(uow, d)

        return await run_once(self.uow, idempotency, act)

    def _check_opinion(self, tenant: str, d: Deliberation, data: SignatureCreate, spec: Kind) -> str | None:
        if data.opinion == "other" and not data.text:
            raise invalid("body.text", "another opinion needs its text")
        if not spec.chooses_handler:
            if data.handler is not None:
                raise invalid("body.handler", "a joint review's opinion names no handler")
            return None
        if data.opinion == "agree":
            if d.proposed_handler is None:
                raise invalid("body.opinion", "there is no proposed handler to agree with; name one with `other`")
            if data.handler not in (None, d.proposed_handler):
                raise invalid("body.handler", "agreeing names the proposed handler; use `other` for another")
            return d.proposed_handler
        if data.handler is None:
            raise invalid("body.handler", "another opinion names the handler it proposes")
        self._check_handler(tenant, d, data.handler)
        return data.handler

    def _check_handler(self, tenant: str, d: Deliberation, handler: str) -> None:
        pack = get_pack(tenant)
        known = {**pack.vocabulary.get("offices", {}), **pack.vocabulary.get("bodies", {})}
        if handler not in known:
            raise invalid("body.handler", f"{handler!r} is not an office or body of {tenant}'s pack")
        allowed = set(d.handler_candidates) | ({d.proposed_handler} if d.proposed_handler else set())
        if d.handler_candidates and handler not in allowed:
            raise invalid("body.handler", f"{handler!r} is not among the candidates {sorted(allowed)}")

    async def approve(
        self,
        principal: Principal,
        kind: str,
        deliberation_id: str,
        data: ApprovalCreate,
        idempotency: IdempotentRequest | None,
    ) -> dict:
        async def act(uow) -> dict:
            d = await self._get(uow, principal.tenant, kind, deliberation_id, for_update=True)
            office = authorise(principal, f"{kind} {d.number or d.id} approval", d.approved_by, APPROVAL_SIGN)
            if d.state != "approving":
                raise WrongState(f"the {kind} is {d.state}; it is not awaiting approval")
            approvals = await uow.repos.deliberations.approvals(d.id)
            if any(a.office == office for a in approvals):
                raise AlreadyApproved(f"{office} has already approved this {kind}", extra={"office": office})
            uow.repos.deliberations.add_approval(
                Approval(
                    tenant=d.tenant,
                    subject_kind=kind,
                    subject_id=d.id,
                    office=office,
                    username=principal.username,
                    comment=data.comment,
                    approved_at=utcnow(),
                )
            )
            await uow.session.flush()
            await uow.repos.work.close_tasks(d.id, f"{kind}_approval", principal.username, office=office)
            uow.repos.work.record(
                tenant=d.tenant,
                matter_id=d.matter_id,
                case_id=d.case_id,
                subject_id=d.id,
                action=f"{kind}_approved",
                actor=principal.username,
                office=office,
                citations=d.citations,
                detail={"comment": data.comment},
            )
            await self._advance(uow, d, by=principal.username)
            return await self._read(uow, d)

        return await run_once(self.uow, idempotency, act)

    async def escalate(
        self,
        principal: Principal,
        kind: str,
        deliberation_id: str,
        data: EscalationCreate,
        idempotency: IdempotentRequest | None,
    ) -> dict:
        spec = KINDS[kind]

        async def act(uow) -> dict:
            d = await self._get(uow, principal.tenant, kind, deliberation_id, for_update=True)
            if d.state != "escalated" or d.level is None:
                raise WrongState(f"the {kind} is {d.state}; no escalation level is deciding")
            step = d.escalation[d.level]
            actors = [step["actor"]] if step.get("actor") else []
            office = authorise(
                principal, f"{kind} {d.number or d.id} escalation level {step['step']}", actors, APPROVAL_SIGN
            )
            last = d.level == len(d.escalation) - 1
            handler = None
            if data.outcome == "decided":
                if spec.chooses_handler:
                    if data.handler is None:
                        raise invalid("body.handler", "a level that decides names the handler")
                    self._check_handler(principal.tenant, d, data.handler)
                    handler = data.handler
                elif data.handler is not None:
                    raise invalid("body.handler", "a joint review's decision names no handler")
            elif last:
                raise invalid(
                    "body.outcome",
                    f"{step['step']} is the last level of the chain: it must decide",
                    citations=d.citations,
                )
            d.levels.append(
                EscalationRecord(
                    level=d.level,
                    step=step["step"],
                    actor=step.get("actor"),
                    outcome=data.outcome,
                    handler=handler,
                    text=data.text,
                    username=principal.username,
                    office=office,
                    recorded_at=utcnow(),
                )
            )
            await uow.repos.work.close_tasks(d.id, f"{kind}_escalation", principal.username)
            uow.repos.work.record(
                tenant=d.tenant,
                matter_id=d.matter_id,
                case_id=d.case_id,
                subject_id=d.id,
                action=f"{kind}_escalation_{data.outcome}",
                actor=principal.username,
                office=office,
                citations=d.citations,
                detail={"level": d.level, "step": step["step"], "handler": handler, "text": data.text},
            )
            if data.outcome == "decided":
                await self._conclude(
                    uow, d, handler=handler, level=step["step"], approved_by=actors, by=principal.username
                )
            else:
                d.level += 1
                self._open_level(uow, d)
            return await self._read(uow, d)

        return await run_once(self.uow, idempotency, act)

    # -- state machine ----------------------------------------------------------------------

    async def _advance(self, uow, d: Deliberation, *, by: str) -> None:
        spec = KINDS[d.kind]
        if d.state == "signing":
            opinions = [
                Opinion(s.office, s.opinion == "agree", s.handler) for s in d.signatures if s.office in d.participants
            ]
            complete, agreed = consensus(
                d.participants, opinions, d.proposed_handler, choose_handler=spec.chooses_handler
            )
            if not complete:
                return
            if agreed is None:
                if not d.escalation:
                    # Divided, and the pack names nobody to settle it: it stays visible as such.
                    d.state = "deadlocked"
                    uow.repos.work.record(
                        tenant=d.tenant,
                        matter_id=d.matter_id,
                        case_id=d.case_id,
                        subject_id=d.id,
                        action=f"{d.kind}_deadlocked",
                        actor=SYSTEM,
                        office=None,
                        citations=d.citations,
                    )
                    return
                d.state, d.level = "escalated", 0
                uow.repos.work.record(
                    tenant=d.tenant,
                    matter_id=d.matter_id,
                    case_id=d.case_id,
                    subject_id=d.id,
                    action=f"{d.kind}_escalated",
                    actor=SYSTEM,
                    office=None,
                    citations=d.citations,
                    detail={"level": 0, "step": d.escalation[0]["step"]},
                )
                self._open_level(uow, d)
                return
            d.handler = agreed or None
            d.decided_at_level = CONSENSUS_LEVEL
            if d.approved_by:
                d.state = "approving"
                for office in d.approved_by:
                    uow.repos.work.open_task(
                        tenant=d.tenant,
                        kind=f"{d.kind}_approval",
                        office=office,
                        capability=APPROVAL_SIGN,
                        matter_id=d.matter_id,
                        case_id=d.case_id,
                        subject_id=d.id,
                        citations=d.citations,
                    )
                return
            await self._conclude(uow, d, handler=d.handler, level=CONSENSUS_LEVEL, approved_by=[], by=by)
        elif d.state == "approving":
            approved = {a.office for a in await uow.repos.deliberations.approvals(d.id)}
            if set(d.approved_by) <= approved:
                await self._conclude(
                    uow, d, handler=d.handler, level=CONSENSUS_LEVEL, approved_by=list(d.approved_by), by=by
                )

    def _open_level(self, uow, d: Deliberation) -> None:
        step = d.escalation[d.level]
        if step.get("actor"):
            uow.repos.work.open_task(
                tenant=d.tenant,
                kind=f"{d.kind}_escalation",
                office=step["actor"],
                capability=APPROVAL_SIGN,
                matter_id=d.matter_id,
                case_id=d.case_id,
                subject_id=d.id,
                citations=d.citations,
            )

    async def _conclude(
        self, uow, d: Deliberation, *, handler: str | None, level: str, approved_by: list[str], by: str
    ) -> None:
        d.state = "concluded"
        d.handler = handler
        d.decided_at_level = level
        d.concluded_at = utcnow()
        uow.repos.work.record(
            tenant=d.tenant,
            matter_id=d.matter_id,
            case_id=d.case_id,
            subject_id=d.id,
            action=f"{d.kind}_concluded",
            actor=by,
            office=None,
            citations=d.citations,
            detail={"handler": handler, "decided_at_level": level, "approved_by": approved_by},
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
                )
            )
        hook = self.on_concluded.get(d.kind)
        if hook is not None:
            await hook(uow, d)

    # -- reading ----------------------------------------------------------------------------

    async def get(self, principal: Principal, kind: str, deliberation_id: str) -> DeliberationRead:
        async with self.uow() as uow:
            d = await self._get(uow, principal.tenant, kind, deliberation_id)
            return DeliberationRead.model_validate(await self._read(uow, d))

    async def _get(self, uow, tenant: str, kind: str, deliberation_id: str, *, for_update: bool = False):
        return await found(
            deliberation_id,
            KINDS[kind].not_found,
            kind.replace("_", " "),
            lambda: uow.repos.deliberations.get(tenant, kind, deliberation_id, for_update=for_update),
        )

    async def _read(self, uow, d: Deliberation) -> dict:
        await uow.session.flush()
        approvals = await uow.repos.deliberations.approvals(d.id)
        signed = {s.office for s in d.signatures}
        approved = {a.office for a in approvals}
        current = None
        if d.state == "escalated" and d.level is not None:
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
            awaiting_signatures=[o for o in d.participants if o not in signed] if d.state == "signing" else [],
            awaiting_approvals=[o for o in d.approved_by if o not in approved] if d.state == "approving" else [],
            created_at=d.created_at,
            concluded_at=d.concluded_at,
        )
        return read.model_dump(mode="json")
