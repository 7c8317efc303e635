"""Cases: one per routing slip, from the investigation to the written decision.

Every step asks the tenant's pack, through the workflow of the case's procedure, as the
workflow contract of docs/workflow.md says: the
recommendation step judges proposed measures, the decision step says who decides, who
approves first and whether the target must be heard, the joint-review step whether a 会审
precedes the decision. Nothing here knows which tenant it serves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from wenze.auth.access import read_scope
from wenze.auth.capabilities import APPROVAL_SIGN, DECISION_MAKE, MATTER_READ
from wenze.auth.principal import Principal
from wenze.calendar import CalendarError, DeadlineSpec
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events.execution import AppealDecided
from wenze.events.intake import TargetSnapshot
from wenze.events.review import DecidedMeasure, DecisionMade, TargetsIdentified
from wenze.events.routing import MatterRouted
from wenze.ids import new_id
from wenze.persons import PersonReferences
from wenze.problems import invalid
from wenze.rules import Evaluation, RulePack, get_pack
from wenze.rules.errors import RulesError
from wenze.rules.facts import target_facts, unknown_target_codes
from wenze.rules.readings import interpretations_explained
from wenze_review.access.policy import audit, authorise, check_readable, system_audit
from wenze_review.calendar.service import CalendarService
from wenze_review.cases.models import (
    CASES,
    CLOSED_STATES,
    HEARING_STATES,
    INVESTIGATIONS,
    Case,
    CaseState,
    DecidedPerson,
    Decision,
    Hearing,
    Investigation,
    InvestigationState,
    Recommendation,
)
from wenze_review.cases.schemas import (
    CaseApprovalCreate,
    CaseApprovalRead,
    CaseRead,
    DecisionCopyCreate,
    DecisionCreate,
    DecisionRead,
    FindingsCreate,
    HearingCreate,
    HearingRead,
    IdentifiedTarget,
    InvestigationRead,
    RecommendationCreate,
    RecommendationRead,
    TargetMeasures,
)
from wenze_review.deliberations.models import Approval, Deliberation
from wenze_review.deliberations.service import Clock, DeliberationService, PackSource
from wenze_review.errors import (
    AlreadyApproved,
    ApprovalOutOfOrder,
    CaseNotFound,
    InvestigationNotFound,
    RuleRefusal,
    RulesUnavailable,
    StepMissing,
    WrongState,
    found,
)
from wenze_review.logic import (
    AccountabilityHistory,
    DecisionRequirements,
    PriorDecision,
    accountability_history,
    approvals_open,
    citations_of,
    decision_requirements,
    outside_permitted,
    recommendation_facts,
    rules_setting,
    stage_before,
)
from wenze_review.numbering import document_number
from wenze_review.repositories import ReviewUnitOfWork, ReviewUnitOfWorkFactory
from wenze_review.work.service import record_step

SYSTEM = "system"
CONSUMER_ROUTED = "review-matter-routed"
CONSUMER_APPEAL_DECIDED = "review-appeal-decided"
APPROVAL_KINDS = {"start": "case_start", "decision": "case_decision"}
# The steps the handling office does; approvals, the decision and its copy belong to the bodies
# the pack names, whoever handles the case.
HANDLING_TASKS = ("investigation", "recommendation", "hearing")


def _evaluate(
    pack: RulePack, case: Case, step: str, facts: dict[str, Any], on: dt.date, readings: Mapping[str, str]
) -> Evaluation | None:
    """Evaluate the decision bound to ``step`` of the case's procedure, or ``None`` where its
    workflow binds none; ``readings`` are the tenant's chosen readings of the pack's
    interpretation points in force on ``on`` (the rest read by the pack's default)."""
    name = pack.workflow_decision(step, case.procedure)
    if name is None:
        return None
    try:
        return pack.evaluate(name, facts, on=on, readings=readings)
    except RulesError as exc:
        raise RulesUnavailable(step, exc) from exc


def _evaluate_required(
    pack: RulePack, case: Case, step: str, facts: dict[str, Any], on: dt.date, readings: Mapping[str, str]
) -> Evaluation:
    """Evaluate a step every workflow binds (recommendation, decision)."""
    evaluation = _evaluate(pack, case, step, facts, on, readings)
    if evaluation is None:
        raise RulesUnavailable(step, RulesError(f"{pack.tenant}'s pack binds no {step} step"))
    return evaluation


class CaseService:
    def __init__(
        self,
        uow: ReviewUnitOfWorkFactory,
        deliberations: DeliberationService,
        calendars: CalendarService,
        *,
        person_refs: PersonReferences,
        packs: PackSource = get_pack,
        clock: Clock = utcnow,
    ):
        self.uow = uow
        self.deliberations = deliberations
        self.calendars = calendars
        self.person_refs = person_refs
        self.packs = packs
        self.clock = clock
        deliberations.on_concluded["joint_review"] = self._joint_review_concluded

    def _today(self, pack: RulePack) -> dt.date:
        return pack.local_date(self.clock())

    # -- from routing ---------------------------------------------------------------------

    async def matter_routed(self, event: MatterRouted) -> None:
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_ROUTED):
                return
            existing = await uow.repos.cases.of_slip(event.tenant, str(event.slip_id))
            if existing is not None:
                # A slip opens one case; routing fixes its handler again only by an override.
                await self._routed_again(uow, existing, event)
                uow.repos.inbox.record(str(event.event_id), CONSUMER_ROUTED, event.subject)
                await uow.commit()
                return
            superseded = await self.deliberations.supersede_consultation(uow, event)
            case, investigation = self._new_case(event)
            await uow.repos.cases.add(case, investigation)
            await uow.repos.access.note(
                case.tenant,
                case.matter_id,
                offices=[
                    *self.parties(case, investigation),
                    *self.packs(case.tenant).parties_named_in(case.routing_outcome),
                ],
                targets=case.targets,
            )
            record_step(
                uow,
                kind="case",
                case_state=case.state,
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action="case_opened",
                actor=SYSTEM,
                office=case.handler,
                citations=case.citations,
                detail={
                    "slip_number": case.slip_number,
                    "handler": case.handler,
                    "fixed_by": case.fixed_by,
                    "investigated_by": investigation.office,
                    "investigated_with": case.investigated_with,
                },
            )
            if case.state == CaseState.AWAITING_START_APPROVAL:
                for approver in case.start_approved_by:
                    self._open_task(uow, case, "start_approval", approver, APPROVAL_SIGN, case.citations)
            else:
                self._open_investigation_task(uow, case, investigation)
            uow.repos.inbox.record(str(event.event_id), CONSUMER_ROUTED, event.subject)
            await uow.repos.audit.append(
                case.tenant,
                [
                    *superseded,
                    system_audit(
                        "case.open",
                        "case",
                        case.id,
                        matter_id=case.matter_id,
                        slip_id=case.slip_id,
                        slip_number=case.slip_number,
                        state=case.state,
                        event_id=str(event.event_id),
                    ),
                ],
            )
            await uow.commit()

    # -- from sanction-execution ---------------------------------------------------------------

    async def appeal_decided(self, event: AppealDecided) -> None:
        """A decision revoked on appeal for a person no longer counts in their history; one upheld
        or varied still holds them accountable. Events without the person (published before
        they named one) change nothing: which of a decision's persons appealed is unknown."""
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_APPEAL_DECIDED):
                return
            target = event.target
            revoked = 0
            if event.outcome == "revoked" and target is not None and target.kind == "person" and target.name:
                revoked = await uow.repos.cases.revoke_for_person(
                    event.tenant, str(event.decision_id), target, event.decided_on
                )
            uow.repos.inbox.record(str(event.event_id), CONSUMER_APPEAL_DECIDED, event.subject)
            if revoked:
                await uow.repos.audit.append(
                    event.tenant,
                    [
                        system_audit(
                            "decision.revoked_for_person",
                            "decision",
                            str(event.decision_id),
                            matter_id=str(event.matter_id),
                            appeal_id=str(event.appeal_id),
                            revoked_on=event.decided_on.isoformat(),
                            event_id=str(event.event_id),
                        )
                    ],
                )
            await uow.commit()

    async def _copy_due(
        self, uow: ReviewUnitOfWork, tenant: str, rule: Mapping[str, Any] | None, decided_on: dt.date
    ) -> tuple[dt.date | None, str | None]:
        """The day the decision's copy is due under the pack's time limit, on the tenant's
        working-day calendar (routing's: national years and its local days); or why it cannot
        be said yet. A year the calendar lacks does not stop the decision: the task waits
        without a day."""
        if not rule:
            return None, None
        if rule.get("from") != "decided_on":
            return None, f"the time limit runs from {rule.get('from')!r}, not from the decision's day"
        spec = DeadlineSpec(**{k: rule[k] for k in ("kind", "amount", "day", "roll_to_working_day") if k in rule})
        try:
            return spec.compute(decided_on, await self.calendars.for_tenant(uow, tenant)), None
        except CalendarError as exc:
            return None, str(exc)

    async def _routed_again(self, uow: ReviewUnitOfWork, case: Case, event: MatterRouted) -> None:
        """The slip of an open case was overridden: the case, the investigation still to do and
        the open tasks of the offices the slip no longer names go to the handler the override
        names, and the case goes on where it was. A case that is closed, or an event naming no
        override, changes nothing; the timeline and the audit log say why."""
        override = event.override
        investigation = await uow.repos.cases.investigation(case.tenant, case_id=case.id)
        refusal = None
        followed, arriving = case.slip_revision, event.slip_revision
        if followed is not None and arriving is not None and arriving <= followed:
            refusal = (
                f"the case follows a later routing of the slip (revision {case.slip_revision}) than this one "
                f"(revision {event.slip_revision})"
            )
        elif override is None:
            refusal = "the slip was routed again without an override; its case stands as it was opened"
        elif not CASES.allows("reassign", case.state):
            refusal = f"the case is {case.state}; an override reaches a case only until it is decided"
        elif event.handler is None:
            refusal = "the override names no handler"
        base = {"slip_number": event.slip_number, "handler": event.handler, "event_id": str(event.event_id)}
        if refusal is not None:
            uow.repos.work.record(
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action="override_not_applied",
                actor=override.by if override else SYSTEM,
                office=override.office if override else None,
                citations=event.citations,
                detail={**base, "state": case.state, "reason": refusal},
            )
            record = system_audit("case.override_not_applied", "case", case.id, matter_id=case.matter_id, **base)
            await uow.repos.audit.append(case.tenant, [record])
            return
        assert override is not None and event.handler is not None
        previous = case.handler
        handover = {previous: event.handler} if previous and previous != event.handler else {}
        await uow.repos.cases.move_case(
            case,
            "reassign",
            handler=event.handler,
            cc=list(event.cc),
            fixed_by=event.fixed_by,
            investigated_by=event.investigated_by,
            investigated_with=list(event.investigated_with),
            slip_revision=event.slip_revision,
        )
        investigation_office = None
        if investigation is not None and INVESTIGATIONS.allows("reassign", investigation.state):
            # As on a case the override opened: the handler investigates unless the slip names another.
            investigation_office = event.investigated_by or event.handler
            if investigation.office and investigation.office != investigation_office:
                handover.setdefault(investigation.office, investigation_office)
            await uow.repos.cases.move_investigation(
                investigation, "reassign", office=investigation_office, joined_by=list(event.investigated_with)
            )
        entry = {"at": self.clock().isoformat(), "action": "reassigned_by_override", "by": override.by}
        moved = await uow.repos.work.move_to_office(case.id, HANDLING_TASKS, handover, entry)
        await uow.repos.access.note(
            case.tenant,
            case.matter_id,
            offices=[event.handler, *event.cc, investigation_office, *event.investigated_with],
            targets=case.targets,
        )
        detail = {
            **base,
            "previous_handler": previous,
            "reason": override.reason,
            "state": case.state,
            "investigated_by": investigation_office,
            "moved_tasks": moved,
        }
        uow.repos.work.record(
            tenant=case.tenant,
            matter_id=case.matter_id,
            case_id=case.id,
            action="case_reassigned",
            actor=override.by,
            office=override.office,
            citations=event.citations,
            detail=detail,
        )
        record = system_audit(
            "case.reassign",
            "case",
            case.id,
            matter_id=case.matter_id,
            overridden_by=override.by,
            **{k: v for k, v in detail.items() if k != "reason"},
        )
        await uow.repos.audit.append(case.tenant, [record])

    @staticmethod
    def parties(case: Case, investigation: Investigation) -> list[str | None]:
        """The offices and bodies the routed slip names: they read its matter (docs/access.md)."""
        return [
            case.handler,
            *case.cc,
            case.investigated_by,
            *case.investigated_with,
            *case.start_approved_by,
            *case.decided_by,
            investigation.office,
        ]

    def _new_case(self, event: MatterRouted) -> tuple[Case, Investigation]:
        """The case of a routed slip and its investigation, waiting for start approvals where the slip names them."""
        waits = bool(event.start_approved_by)
        case = Case(
            id=new_id(),
            tenant=event.tenant,
            matter_id=str(event.matter_id),
            slip_id=str(event.slip_id),
            slip_number=event.slip_number,
            slip_revision=event.slip_revision,
            matter_number=event.matter_number,
            summary=event.summary,
            relevant_date=event.relevant_date,
            targets=[t.model_dump() for t in event.targets],
            procedure=event.procedure,
            handler=event.handler,
            cc=list(event.cc),
            investigated_by=event.investigated_by,
            investigated_with=list(event.investigated_with),
            reclassify_after_investigation=event.reclassify_after_investigation,
            joint_review_required=event.joint_review_required,
            start_approved_by=list(event.start_approved_by),
            decided_by=list(event.decided_by),
            fixed_by=event.fixed_by,
            routing_facts=dict(event.facts),
            routing_outcome=dict(event.outcome),
            citations=list(event.citations),
            state=CaseState.AWAITING_START_APPROVAL if waits else CaseState.INVESTIGATING,
            created_at=self.clock(),
        )
        investigation = Investigation(
            id=new_id(),
            tenant=event.tenant,
            case_id=case.id,
            office=event.investigated_by or event.handler,
            joined_by=list(event.investigated_with),
            state=InvestigationState.PENDING if waits else InvestigationState.OPEN,
        )
        return case, investigation

    def _open_task(
        self,
        uow: ReviewUnitOfWork,
        case: Case,
        kind: str,
        office: str | None,
        capability: str,
        citations: Iterable[str],
        *,
        subject_id: str | None = None,
        target_index: int | None = None,
        due: dt.date | None = None,
    ) -> None:
        if office is None:
            # A step without an office (no handler yet) is in nobody's queue.
            return
        uow.repos.work.open_task(
            tenant=case.tenant,
            kind=kind,
            office=office,
            capability=capability,
            matter_id=case.matter_id,
            case_id=case.id,
            subject_id=subject_id or case.id,
            target_index=target_index,
            citations=citations,
            due=due,
        )

    def _open_investigation_task(self, uow: ReviewUnitOfWork, case: Case, investigation: Investigation) -> None:
        self._open_task(
            uow, case, "investigation", investigation.office, MATTER_READ, case.citations, subject_id=investigation.id
        )

    # -- approvals --------------------------------------------------------------------------

    async def approve(
        self,
        principal: Principal,
        case_id: str,
        data: CaseApprovalCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        async def act(uow: ReviewUnitOfWork) -> dict:
            case = await self._visible_case(uow, principal, case_id, for_update=True)
            requirements = case.requirements or {}
            if data.stage == "start":
                offices, citations, opens = case.start_approved_by, case.citations, "start_investigation"
            else:
                offices, citations, opens = (
                    requirements.get("approved_by", []),
                    requirements.get("citations", []),
                    "decide",
                )
            office = authorise(
                principal,
                case.targets,
                step=f"{data.stage} approval of case {case.slip_number}",
                offices=offices,
                capability=APPROVAL_SIGN,
                assigned=await uow.repos.work.was_given(case.id, f"{data.stage}_approval", principal.username),
            )
            # Approvals come before the move they open: only in the state that move starts from.
            CASES.check(
                opens, case.state, f"case {case.slip_number} is {case.state}; the {data.stage} approval is not open"
            )
            kind = APPROVAL_KINDS[data.stage]
            approved = {a.office for a in await uow.repos.deliberations.approvals(case.id) if a.subject_kind == kind}
            if office in approved:
                raise AlreadyApproved(f"{office} has already given the {data.stage} approval", extra={"office": office})
            sequence = requirements.get("approval_sequence", []) if data.stage == "decision" else []
            self._check_approval_order(self.packs(case.tenant), sequence, offices, approved, office, citations)
            await uow.repos.deliberations.add_approval(
                Approval(
                    tenant=case.tenant,
                    subject_kind=kind,
                    subject_id=case.id,
                    office=office,
                    username=principal.username,
                    comment=data.comment,
                    approved_at=self.clock(),
                )
            )
            await uow.repos.work.close_tasks(case.id, f"{data.stage}_approval", principal.username, office=office)
            if data.stage == "start" and set(offices) <= approved | {office}:
                await self._start_investigation(uow, case)
            if data.stage == "decision":
                # The stage this approval completes lets the next one's approvals into the queues.
                waiting_before = set(approvals_open(sequence, offices, approved))
                for next_office in approvals_open(sequence, offices, approved | {office}):
                    if next_office not in waiting_before:
                        self._open_task(uow, case, "decision_approval", next_office, APPROVAL_SIGN, citations)
            # Recorded once the approval has moved the case, so the step carries the state it left.
            record_step(
                uow,
                kind="case",
                case_state=case.state,
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action=f"{data.stage}_approved",
                actor=principal.username,
                office=office,
                citations=citations,
                detail={"comment": data.comment},
            )
            read = await self._read(uow, case)
            await self._audit(uow, principal, client_address, case, "approve", stage=data.stage)
            return read

        return await run_once(self.uow, idempotency, act)

    @staticmethod
    def _check_approval_order(
        pack: RulePack,
        sequence: list[dict[str, Any]],
        required: list[str],
        approved: set[str],
        office: str,
        citations: list[str],
    ) -> None:
        """Where the rules order the approvals, ``office`` approves only once every earlier stage has."""
        earlier = stage_before(sequence, required, approved, office)
        if earlier is None:
            return
        stage, waiting = earlier
        labels = [_label(pack, o) for o in waiting]
        raise ApprovalOutOfOrder(
            f"{_label(pack, office)} cannot approve yet: the approval of {'、'.join(labels)} "
            f"({stage.get('action') or stage['step']}) must come first",
            extra={
                "step": stage["step"],
                "step_label": stage.get("action") or stage["step"],
                "offices": waiting,
                "office_labels": labels,
                "citations": citations,
            },
        )

    async def _start_investigation(self, uow: ReviewUnitOfWork, case: Case) -> None:
        """Every start approval is in: the investigation opens."""
        investigation = await uow.repos.cases.investigation(case.tenant, case_id=case.id)
        assert investigation is not None
        await uow.repos.cases.move_case(case, "start_investigation")
        await uow.repos.cases.move_investigation(investigation, "open")
        self._open_investigation_task(uow, case, investigation)

    # -- investigation ----------------------------------------------------------------------

    async def record_findings(
        self,
        principal: Principal,
        investigation_id: str,
        data: FindingsCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        async def act(uow: ReviewUnitOfWork) -> dict:
            investigation = await self._investigation(uow, principal.tenant, investigation_id)
            case = await self._case(uow, principal.tenant, investigation.case_id, for_update=True)
            await check_readable(
                uow, principal, case.matter_id, InvestigationNotFound, "investigation", investigation_id
            )
            office = authorise(
                principal,
                case.targets,
                step=f"investigation of case {case.slip_number}",
                offices=[investigation.office] if investigation.office else [],
                capability=MATTER_READ,
                assigned=await uow.repos.work.was_given(investigation.id, "investigation", principal.username),
            )
            INVESTIGATIONS.check(
                "complete", investigation.state, f"the investigation is {investigation.state}; findings are not open"
            )
            identified = self._identified_targets(case, data)
            await uow.repos.cases.move_investigation(
                investigation,
                "complete",
                findings=data.findings,
                evidence=list(data.evidence),
                identified_targets=[t.model_dump() for t in identified],
                completed_by=principal.username,
                completed_at=self.clock(),
            )
            await uow.repos.work.close_tasks(investigation.id, "investigation", principal.username)
            if identified:
                await self._reclassify(uow, case, investigation, identified, by=principal.username)
            else:
                await self._open_recommendations(uow, case)
            record_step(
                uow,
                kind="case",
                case_state=case.state,
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                subject_id=investigation.id,
                action="findings_recorded",
                actor=principal.username,
                office=office,
                citations=case.citations,
                detail={"evidence": investigation.evidence, "identified_targets": investigation.identified_targets},
            )
            read = await self._read(uow, case)
            record = audit(
                principal,
                client_address,
                "investigation.complete",
                "investigation",
                investigation.id,
                matter_id=case.matter_id,
                case_id=case.id,
                state=case.state,
                identified_targets=len(identified),
            )
            await uow.repos.audit.append(principal.tenant, [record])
            return read

        return await run_once(self.uow, idempotency, act)

    def _identified_targets(self, case: Case, data: FindingsCreate) -> list[TargetSnapshot]:
        """The targets the findings name: required exactly when the slip routes again once they are known."""
        identified = data.identified_targets or []
        if case.reclassify_after_investigation and not identified:
            raise invalid(
                "body.identified_targets",
                "the case is routed again once its targets are known: name them",
                code="identified_targets_required",
                citations=case.citations,
            )
        if identified and not case.reclassify_after_investigation:
            raise invalid(
                "body.identified_targets",
                "the case's targets are already known",
                code="identified_targets_not_expected",
            )
        pack = self.packs(case.tenant)
        for index, target in enumerate(identified):
            _check_identified(pack, f"body.identified_targets.{index}", target)
        known = {t["person_ref"] for t in case.targets if t.get("person_ref")}
        return [self._snapshot(case.tenant, index, target, known) for index, target in enumerate(identified)]

    def _snapshot(self, tenant: str, index: int, target: IdentifiedTarget, known: set[str]) -> TargetSnapshot:
        """``target`` as routing and the decision carry it: its identity number replaced by the
        person's reference, derived as intake derives it (ADR 0044)."""
        field = f"body.identified_targets.{index}"
        if target.person_ref is not None and target.person_ref not in known:
            # A reference comes only from a number, here or at intake: one typed in would file
            # someone else's decisions under this person, or this person's under nobody.
            raise invalid(
                f"{field}.person_ref",
                "is the reference of none of this case's targets; give the person's identity_number instead",
                code="person_ref_unknown",
            )
        person_ref = target.person_ref
        if target.identity_number is not None:
            if target.kind != "person":
                raise invalid(
                    f"{field}.identity_number",
                    f"only a person has one; this target is a {target.kind}",
                    code="identity_number_person_only",
                )
            derived = self.person_refs.reference(tenant, target.identity_number)
            if person_ref is not None and derived != person_ref:
                # Replacing it would split the person's history in two, or join two persons'.
                raise invalid(
                    f"{field}.identity_number",
                    "is another person's than the one this target's person_ref was derived for: a target keeps "
                    "the reference it was first identified by; name a different person in a target of their own",
                    code="identity_number_of_another_person",
                )
            person_ref = derived
        return TargetSnapshot.model_validate(
            {**target.model_dump(exclude={"identity_number"}), "person_ref": person_ref}
        )

    async def _reclassify(
        self,
        uow: ReviewUnitOfWork,
        case: Case,
        investigation: Investigation,
        identified: list[TargetSnapshot],
        *,
        by: str,
    ) -> None:
        """The targets are known now: routing classifies them again, and this case's open steps end."""
        await uow.repos.cases.move_case(case, "reclassify")
        uow.publish(
            TargetsIdentified(
                tenant=case.tenant,
                matter_id=uuid.UUID(case.matter_id),
                investigation_id=uuid.UUID(investigation.id),
                slip_id=uuid.UUID(case.slip_id),
                targets=identified,
            )
        )
        await uow.repos.work.cancel_tasks(case.id, by)

    async def _open_recommendations(self, uow: ReviewUnitOfWork, case: Case) -> None:
        await uow.repos.cases.move_case(case, "complete_investigation")
        for index, _ in enumerate(case.targets):
            self._open_task(
                uow, case, "recommendation", self._handling(case), MATTER_READ, case.citations, target_index=index
            )

    # -- recommendations ----------------------------------------------------------------------

    async def recommend(
        self,
        principal: Principal,
        case_id: str,
        data: RecommendationCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        async def act(uow: ReviewUnitOfWork) -> dict:
            case = await self._visible_case(uow, principal, case_id, for_update=True)
            office = authorise(
                principal,
                case.targets,
                step=f"recommendation in case {case.slip_number}",
                offices=self._handling_offices(case),
                capability=MATTER_READ,
                assigned=await uow.repos.work.was_given(
                    case.id, "recommendation", principal.username, target_index=data.target_index
                ),
            )
            if case.state != CaseState.RECOMMENDING:
                raise WrongState(f"case {case.slip_number} is {case.state}; recommendations are not open")
            target = self._target(case, data.target_index, "body.target_index")
            pack = self.packs(case.tenant)
            content = data.model_dump(mode="json")
            history = await self._history(uow, case, data.target_index, content)
            facts = await self._facts(uow, case, data.target_index, content, history)
            # The readings in force on the case's relevant date, the date its rules are read on.
            readings = await uow.repos.interpretations.readings_on(case.tenant, case.relevant_date)
            evaluation = self._judge_recommendation(pack, case, data.proposed_measures, facts, readings)
            factors = _evaluate(pack, case, "factors", facts, case.relevant_date, readings)
            await uow.repos.cases.put_recommendation(
                Recommendation(
                    id=new_id(),
                    case_id=case.id,
                    target_index=data.target_index,
                    content=content,
                    outcome=_jsonable_outcome(evaluation.outcome),
                    explanation=[f.model_dump(mode="json") for f in evaluation.explanation]
                    + interpretations_explained(evaluation),
                    factors=_factors_record(factors, facts, history.counted),
                    citations=citations_of(evaluation),
                    recorded_by=principal.username,
                    office=office,
                    recorded_at=self.clock(),
                )
            )
            await uow.repos.work.close_tasks(
                case.id, "recommendation", principal.username, target_index=data.target_index
            )
            record_step(
                uow,
                kind="case",
                case_state=case.state,
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action="recommendation_recorded",
                actor=principal.username,
                office=office,
                citations=citations_of(evaluation),
                detail={
                    "target": target.get("name"),
                    "target_index": data.target_index,
                    "proposed_measures": data.proposed_measures,
                    "severity": data.severity,
                },
            )
            if len(await uow.repos.cases.recommendations(case.id)) == len(case.targets):
                await self._after_recommendations(uow, pack, case, principal.username)
            read = await self._read(uow, case)
            await self._audit(uow, principal, client_address, case, "recommend", target_index=data.target_index)
            return read

        return await run_once(self.uow, idempotency, act)

    @staticmethod
    def _judge_recommendation(
        pack: RulePack, case: Case, proposed: list[str], facts: dict[str, Any], readings: Mapping[str, str]
    ) -> Evaluation:
        """The recommendation step's judgement of the proposed measures; refused with its articles
        when a measure is unknown or not permitted, when none is named where the rules require
        one, or when the rules find the proposal invalid."""
        _check_known_measures(pack, "body.proposed_measures", proposed)
        evaluation = _evaluate_required(pack, case, "recommendation", facts, case.relevant_date, readings)
        _check_measures_against(evaluation, "body.proposed_measures", proposed)
        return evaluation

    async def _after_recommendations(self, uow: ReviewUnitOfWork, pack: RulePack, case: Case, by: str) -> None:
        """Every target has its recommendation: a joint review where the rules want one, else the decision stage."""
        joint_review = await self._joint_review_required(uow, pack, case)
        if joint_review is None:
            await self._enter_decision(uow, pack, case, by)
            return
        review_id = new_id()
        # The case waits for the review before the review opens: one that concludes at once
        # (nobody to sign) moves the case on to the decision.
        await uow.repos.cases.move_case(case, "open_joint_review", joint_review_id=review_id)
        await self.deliberations.open_joint_review(
            uow,
            review_id=review_id,
            tenant=case.tenant,
            matter_id=case.matter_id,
            slip_id=case.slip_id,
            case_id=case.id,
            matter_number=case.matter_number,
            summary=case.summary,
            relevant_date=case.relevant_date,
            targets=case.targets,
            outcome=joint_review.outcome,
            citations=citations_of(joint_review),
        )

    async def _joint_review_required(self, uow: ReviewUnitOfWork, pack: RulePack, case: Case) -> Evaluation | None:
        """The joint-review step's answer for the first target that needs one, where the slip asks for it."""
        if not case.joint_review_required or pack.workflow_decision("joint_review", case.procedure) is None:
            return None
        readings = await uow.repos.interpretations.readings_on(case.tenant, case.relevant_date)
        for recommendation in await uow.repos.cases.recommendations(case.id):
            facts = await self._facts(uow, case, recommendation.target_index, recommendation.content)
            evaluation = _evaluate(pack, case, "joint_review", facts, case.relevant_date, readings)
            if evaluation is not None and evaluation.outcome.get("joint_review_required"):
                return evaluation
        return None

    async def _joint_review_concluded(self, uow: ReviewUnitOfWork, review: Deliberation) -> None:
        assert review.case_id is not None
        case = await self._case(uow, review.tenant, review.case_id, for_update=True)
        await self._enter_decision(uow, self.packs(case.tenant), case, SYSTEM)

    async def _enter_decision(self, uow: ReviewUnitOfWork, pack: RulePack, case: Case, by: str) -> None:
        """Ask the decision step who decides, who approves and whether the targets are heard; queue those steps."""
        recommendations = {r.target_index: r for r in await uow.repos.cases.recommendations(case.id)}
        # Until the decision is recorded, the recommended measures stand for the decided ones.
        recommended = {index: r.content["proposed_measures"] for index, r in recommendations.items()}
        requirements = await self._decision_step(uow, pack, case, recommendations, recommended, case.relevant_date)
        await uow.repos.cases.move_case(case, "open_decision", requirements=requirements.as_record())
        await uow.repos.access.note(
            case.tenant, case.matter_id, offices=[*requirements.approved_by, *requirements.decided_by]
        )
        # Where the rules order the approvals, only the first stage's are in the queues; each
        # stage completed lets the next in (see approve).
        for office in approvals_open(requirements.approval_sequence, requirements.approved_by, set()):
            self._open_task(uow, case, "decision_approval", office, APPROVAL_SIGN, requirements.citations)
        heard = {h.target_index for h in await uow.repos.cases.hearings(case.id)}
        for index, _ in enumerate(case.targets):
            if index not in heard:
                self._open_task(
                    uow,
                    case,
                    "hearing",
                    self._handling(case),
                    MATTER_READ,
                    requirements.hearing_citations,
                    target_index=index,
                )
        for office in requirements.decided_by:
            self._open_task(uow, case, "decision", office, DECISION_MAKE, requirements.citations)
        record_step(
            uow,
            kind="case",
            case_state=case.state,
            tenant=case.tenant,
            matter_id=case.matter_id,
            case_id=case.id,
            action="decision_stage_opened",
            actor=by,
            office=None,
            citations=requirements.citations,
            detail=requirements.as_record(),
        )

    async def _decision_step(
        self,
        uow: ReviewUnitOfWork,
        pack: RulePack,
        case: Case,
        recommendations: Mapping[int, Recommendation],
        measures: Mapping[int, list[str]],
        on: dt.date,
        *,
        facts_clear: bool | None = None,
    ) -> DecisionRequirements:
        """The decision step evaluated for each target with ``measures`` (and, once a decision is
        being recorded, whether its facts are clear)."""
        readings = await uow.repos.interpretations.readings_on(case.tenant, on)
        evaluations = []
        for index, target_measures in measures.items():
            facts = await self._facts(uow, case, index, recommendations[index].content)
            facts["measures"] = target_measures
            if facts_clear is not None:
                facts["facts_clear"] = facts_clear
            evaluations.append(_evaluate_required(pack, case, "decision", facts, on, readings))
        return decision_requirements(evaluations, case.decided_by, _stage_order(pack, case.procedure))

    # -- hearings ---------------------------------------------------------------------------

    async def hear(
        self,
        principal: Principal,
        case_id: str,
        data: HearingCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        async def act(uow: ReviewUnitOfWork) -> dict:
            case = await self._visible_case(uow, principal, case_id, for_update=True)
            office = authorise(
                principal,
                case.targets,
                step=f"hearing in case {case.slip_number}",
                offices=self._handling_offices(case),
                capability=MATTER_READ,
                assigned=await uow.repos.work.was_given(
                    case.id, "hearing", principal.username, target_index=data.target_index
                ),
            )
            if case.state not in HEARING_STATES:
                raise WrongState(f"case {case.slip_number} is {case.state}; hearings are not open")
            target = self._target(case, data.target_index, "body.target_index")
            if data.held_on > self._today(self.packs(case.tenant)):
                raise invalid(
                    "body.held_on", "a hearing cannot be recorded before it is held", code="held_on_in_future"
                )
            await uow.repos.cases.add(
                Hearing(
                    id=new_id(),
                    case_id=case.id,
                    target_index=data.target_index,
                    held_on=data.held_on,
                    arguments=[a.model_dump() for a in data.arguments],
                    recorded_by=principal.username,
                    office=office,
                    recorded_at=self.clock(),
                )
            )
            await uow.repos.work.close_tasks(case.id, "hearing", principal.username, target_index=data.target_index)
            record_step(
                uow,
                kind="case",
                case_state=case.state,
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action="hearing_recorded",
                actor=principal.username,
                office=office,
                citations=(case.requirements or {}).get("hearing_citations", []),
                detail={
                    "target": target.get("name"),
                    "target_index": data.target_index,
                    "held_on": data.held_on.isoformat(),
                    "arguments": len(data.arguments),
                },
            )
            read = await self._read(uow, case)
            await self._audit(uow, principal, client_address, case, "hear", target_index=data.target_index)
            return read

        return await run_once(self.uow, idempotency, act)

    # -- decision ---------------------------------------------------------------------------

    async def decide(
        self,
        principal: Principal,
        case_id: str,
        data: DecisionCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        """Record the written decision: check the request, ask the decision step what it requires,
        check that every required step is done, then record the numbered decision."""

        async def act(uow: ReviewUnitOfWork) -> dict:
            case = await self._visible_case(uow, principal, case_id, for_update=True)
            pack = self.packs(case.tenant)
            if case.state in CLOSED_STATES:
                raise WrongState(f"case {case.slip_number} is {case.state}")
            recommendations = await self._recommendation_of_every_target(uow, case)
            by_target = self._measures_by_target(case, data)
            self._check_party_sanctions(pack, data)
            for position, item in enumerate(data.measures):
                _check_known_measures(pack, f"body.measures.{position}.measures", item.measures)
            self._check_decision_dates(pack, case, data)
            measures = {index: item.measures for index, item in by_target.items()}
            requirements = await self._decision_step(
                uow,
                pack,
                case,
                recommendations,
                measures,
                data.decided_on,
                facts_clear=data.facts_clear,
            )
            office = authorise(
                principal,
                case.targets,
                step=f"decision of case {case.slip_number}",
                offices=requirements.decided_by,
                capability=DECISION_MAKE,
                assigned=await uow.repos.work.was_given(case.id, "decision", principal.username),
            )
            # What the decision carries is judged first: a refused measure is the caller's to correct.
            measure_citations = await self._check_decided_measures(uow, pack, case, recommendations, measures, data)
            self._check_ready_for_decision(case)
            await self._check_heard(uow, case, by_target, requirements)
            await self._check_approved(uow, case, requirements)
            if data.simplified:
                await self._check_simplified(uow, pack, case, recommendations, measures, data)
            number = await self._decision_number(uow, pack, case, data.decided_on)
            citations = list(dict.fromkeys([*requirements.citations, *measure_citations]))
            await self._record_decision(uow, principal, case, office, number, by_target, citations, data, requirements)
            read = await self._read(uow, case)
            await self._audit(uow, principal, client_address, case, "decide", number=number)
            return read

        return await run_once(self.uow, idempotency, act, status_code=201)

    @staticmethod
    async def _recommendation_of_every_target(uow: ReviewUnitOfWork, case: Case) -> dict[int, Recommendation]:
        recommendations = {r.target_index: r for r in await uow.repos.cases.recommendations(case.id)}
        missing = [i for i in range(len(case.targets)) if i not in recommendations]
        if missing:
            raise StepMissing(
                f"no recommendation for target(s) {missing} of case {case.slip_number}",
                step="recommendation",
                targets=missing,
            )
        return recommendations

    def _measures_by_target(self, case: Case, data: DecisionCreate) -> dict[int, TargetMeasures]:
        by_target: dict[int, TargetMeasures] = {}
        for position, item in enumerate(data.measures):
            self._target(case, item.target_index, f"body.measures.{position}.target_index")
            if item.target_index in by_target:
                raise invalid(
                    f"body.measures.{position}.target_index", "each target is decided once", code="target_decided_twice"
                )
            by_target[item.target_index] = item
        missing = [i for i in range(len(case.targets)) if i not in by_target]
        if missing:
            raise invalid("body.measures", f"no measures for target(s) {missing}", code="targets_undecided")
        return dict(sorted(by_target.items()))

    @staticmethod
    def _check_party_sanctions(pack: RulePack, data: DecisionCreate) -> None:
        """A party sanction is a code of the pack's ``party_sanctions``, in a pack that has them."""
        known = pack.vocabulary.get("party_sanctions", {})
        for position, item in enumerate(data.measures):
            if item.party_sanction is None or item.party_sanction in known:
                continue
            listed = ", ".join(f"{code} ({label})" for code, label in known.items())
            raise invalid(
                f"body.measures.{position}.party_sanction",
                f"{item.party_sanction!r} is not a party sanction of {pack.tenant}"
                + (f"; known: {listed}" if listed else ": its rules name none"),
                code="unknown_party_sanction",
            )

    def _check_decision_dates(self, pack: RulePack, case: Case, data: DecisionCreate) -> None:
        """A decision is dated the day it is made: not after the tenant's today, not before its case was opened."""
        today = self._today(pack)
        if data.decided_on > today:
            raise invalid(
                "body.decided_on",
                f"is after today ({today}): a decision is recorded once it is made",
                code="decided_on_in_future",
            )
        opened_on = pack.local_date(case.created_at)
        if data.decided_on < opened_on:
            raise invalid(
                "body.decided_on", f"is before the case was opened ({opened_on})", code="decided_on_before_case"
            )
        if data.announced_on is not None and data.announced_on < data.decided_on:
            raise invalid(
                "body.announced_on", "a decision is announced on or after the day it is made", code="before_decision"
            )

    @staticmethod
    def _check_ready_for_decision(case: Case) -> None:
        if case.state == CaseState.JOINT_REVIEW:
            raise StepMissing(
                f"the joint review of case {case.slip_number} has not concluded",
                step="joint_review",
                joint_review_id=case.joint_review_id,
            )
        CASES.check("decide", case.state, f"case {case.slip_number} is {case.state}; it is not ready for a decision")

    @staticmethod
    async def _check_heard(
        uow: ReviewUnitOfWork, case: Case, by_target: Mapping[int, TargetMeasures], requirements: DecisionRequirements
    ) -> None:
        heard = {h.target_index for h in await uow.repos.cases.hearings(case.id)}
        unheard = [i for i in by_target if i not in heard]
        if unheard:
            # Hearing the target is always recorded first; where the pack requires it, its article is cited.
            raise StepMissing(
                f"no hearing (陈述、申辩) recorded for target(s) {unheard}",
                step="hearing",
                citations=requirements.hearing_citations if requirements.hearing_required else [],
                targets=unheard,
            )

    @staticmethod
    async def _check_approved(uow: ReviewUnitOfWork, case: Case, requirements: DecisionRequirements) -> None:
        approved = {
            a.office
            for a in await uow.repos.deliberations.approvals(case.id)
            if a.subject_kind == APPROVAL_KINDS["decision"]
        }
        unapproved = [o for o in requirements.approved_by if o not in approved]
        if unapproved:
            raise StepMissing(
                f"the approval of {', '.join(unapproved)} is not recorded",
                step="approval",
                citations=requirements.citations,
                offices=unapproved,
            )

    async def _check_decided_measures(
        self,
        uow: ReviewUnitOfWork,
        pack: RulePack,
        case: Case,
        recommendations: Mapping[int, Recommendation],
        measures: Mapping[int, list[str]],
        data: DecisionCreate,
    ) -> list[str]:
        """The recommendation step judges the decided measures as it judged the proposed ones; the articles it cites."""
        positions = {item.target_index: position for position, item in enumerate(data.measures)}
        citations: dict[str, None] = {}
        readings = await uow.repos.interpretations.readings_on(case.tenant, data.decided_on)
        for index, decided in measures.items():
            facts = await self._facts(
                uow, case, index, {**recommendations[index].content, "proposed_measures": decided}
            )
            evaluation = _evaluate_required(pack, case, "recommendation", facts, data.decided_on, readings)
            _check_measures_against(evaluation, f"body.measures.{positions[index]}.measures", decided)
            citations.update(dict.fromkeys(citations_of(evaluation)))
        return list(citations)

    async def _check_simplified(
        self,
        uow: ReviewUnitOfWork,
        pack: RulePack,
        case: Case,
        recommendations: Mapping[int, Recommendation],
        measures: Mapping[int, list[str]],
        data: DecisionCreate,
    ) -> None:
        """A decision marked simplified needs the pack's simplified procedure to allow it for every target."""
        readings = await uow.repos.interpretations.readings_on(case.tenant, data.decided_on)
        for index, decided in measures.items():
            facts = await self._facts(uow, case, index, recommendations[index].content)
            facts.update(measures=decided, facts_clear=data.facts_clear)
            evaluation = _evaluate(pack, case, "simplified_procedure", facts, data.decided_on, readings)
            if evaluation is None:
                raise RuleRefusal(
                    "body.simplified", "the pack has no simplified procedure", [], code="simplified_procedure_absent"
                )
            if evaluation.outcome.get("simplified_allowed") is not True:
                raise RuleRefusal(
                    "body.simplified",
                    "the rules do not allow the simplified procedure here",
                    citations_of(evaluation),
                    code="simplified_procedure_refused",
                )

    @staticmethod
    async def _decision_number(uow: ReviewUnitOfWork, pack: RulePack, case: Case, decided_on: dt.date) -> str:
        try:
            number = await document_number(uow.repos.numbers, pack, "decision", decided_on)
        except RulesError as exc:
            raise RulesUnavailable("decision numbering", exc) from exc
        if number is None:
            raise RulesUnavailable(
                "decision numbering", RulesError(f"{case.tenant}'s pack declares no numbering kind 'decision'")
            )
        return number

    async def _record_decision(
        self,
        uow: ReviewUnitOfWork,
        principal: Principal,
        case: Case,
        office: str,
        number: str,
        by_target: Mapping[int, TargetMeasures],
        citations: list[str],
        data: DecisionCreate,
        requirements: DecisionRequirements,
    ) -> None:
        """The decision row, the persons it holds accountable, the case decided (with what the decision
        step answered for it), its steps done, the copy it still owes, its event."""
        decided = [
            {
                "target_index": i,
                "target": case.targets[i],
                "measures": m.measures,
                "responsibility": m.responsibility,
                "party_sanction": m.party_sanction,
                "leading_group_member": m.leading_group_member,
                "organisation": m.organisation or case.targets[i].get("unit"),
            }
            for i, m in by_target.items()
        ]
        decision = Decision(
            id=new_id(),
            tenant=case.tenant,
            case_id=case.id,
            number=number,
            decided_by=office,
            decided_on=data.decided_on,
            announced_on=data.announced_on,
            simplified=data.simplified,
            facts_clear=data.facts_clear,
            major_case=data.major_case,
            measures=decided,
            citations=citations,
            recorded_by=principal.username,
            recorded_at=self.clock(),
        )
        persons = [
            DecidedPerson(
                id=new_id(),
                tenant=case.tenant,
                decision_id=decision.id,
                decision_number=number,
                name=item["target"]["name"],
                unit=item["target"].get("unit"),
                person_ref=item["target"].get("person_ref"),
                decided_on=data.decided_on,
            )
            for item in decided
            if item["target"].get("kind") == "person" and item["target"].get("name")
        ]
        await uow.repos.cases.add(decision, *persons)
        due, no_due = await self._copy_due(uow, case.tenant, requirements.copy_rule, data.decided_on)
        requirements = replace(requirements, copy_due=due.isoformat() if due else None)
        await uow.repos.cases.move_case(case, "decide", requirements=requirements.as_record())
        await uow.repos.work.close_tasks(case.id, "decision", principal.username)
        if requirements.copy_to:
            self._open_task(
                uow,
                case,
                "decision_copy",
                office,
                DECISION_MAKE,
                requirements.copy_citations,
                subject_id=decision.id,
                due=due,
            )
        record_step(
            uow,
            kind="case",
            case_state=case.state,
            tenant=case.tenant,
            matter_id=case.matter_id,
            case_id=case.id,
            subject_id=decision.id,
            action="decision_made",
            actor=principal.username,
            office=office,
            citations=citations,
            detail={
                "number": number,
                "decided_on": data.decided_on.isoformat(),
                "simplified": data.simplified,
                "measures": decided,
                "copy_to": requirements.copy_to,
                "copy_due": requirements.copy_due,
                # Why a time limit the pack gives has no day yet (a calendar year not loaded).
                **({"copy_due_unknown": no_due} if no_due else {}),
            },
        )
        uow.publish(_decision_made(case, decision))

    async def record_copy(
        self,
        principal: Principal,
        case_id: str,
        data: DecisionCopyCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        """The deciding office copied the decision materials to the offices the decision step names."""

        async def act(uow: ReviewUnitOfWork) -> dict:
            case = await self._visible_case(uow, principal, case_id, for_update=True)
            decision = await uow.repos.cases.decision(case.id)
            office = authorise(
                principal,
                case.targets,
                step=f"copy of the decision of case {case.slip_number}",
                offices=[decision.decided_by] if decision else [],
                capability=DECISION_MAKE,
                assigned=decision is not None
                and await uow.repos.work.was_given(decision.id, "decision_copy", principal.username),
            )
            requirements = case.requirements or {}
            if decision is None or not requirements.get("copy_to"):
                raise WrongState(f"case {case.slip_number} is {case.state}; no copy of a decision is owed")
            if not await uow.repos.work.has_open_task(decision.id, "decision_copy"):
                raise WrongState(f"the copy of decision {decision.number} is already recorded")
            today = self._today(self.packs(case.tenant))
            if data.copied_on > today:
                raise invalid(
                    "body.copied_on",
                    f"is after today ({today}): a copy is recorded once it is sent",
                    code="copied_on_in_future",
                )
            if data.copied_on < decision.decided_on:
                raise invalid(
                    "body.copied_on", f"is before the decision was made ({decision.decided_on})", code="before_decision"
                )
            due = requirements.get("copy_due")
            await uow.repos.work.close_tasks(decision.id, "decision_copy", principal.username)
            record_step(
                uow,
                kind="case",
                case_state=case.state,
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                subject_id=decision.id,
                action="decision_copied",
                actor=principal.username,
                office=office,
                citations=requirements.get("copy_citations", []),
                detail={
                    "number": decision.number,
                    "to": requirements["copy_to"],
                    "copied_on": data.copied_on.isoformat(),
                    "due": due,
                    "late": due is not None and data.copied_on.isoformat() > due,
                },
            )
            read = await self._read(uow, case)
            await self._audit(uow, principal, client_address, case, "copy_decision", number=decision.number)
            return read

        return await run_once(self.uow, idempotency, act)

    # -- facts ------------------------------------------------------------------------------

    async def _facts(
        self,
        uow: ReviewUnitOfWork,
        case: Case,
        index: int,
        recommendation: Mapping[str, Any],
        history: AccountabilityHistory | None = None,
    ) -> dict[str, Any]:
        """The facts of docs/workflow.md for one target: target, the slip's routing outcome, recommendation,
        history (``history`` where the caller has read it already)."""
        target = case.targets[index]
        facts = {**case.routing_facts, **target_facts(target)}
        facts.update({k: v for k, v in case.routing_outcome.items() if v is not None})
        # The office that actually handles: a consultation's or an override's choice stands
        # over the rules' proposal.
        if case.handler is not None:
            facts["handler"] = case.handler
        facts.update(recommendation_facts(recommendation))
        if history is None:
            history = await self._history(uow, case, index, recommendation)
        facts.update(history.facts)
        return facts

    @staticmethod
    async def _history(
        uow: ReviewUnitOfWork, case: Case, index: int, recommendation: Mapping[str, Any]
    ) -> AccountabilityHistory:
        """The target person's earlier accountability on the platform, as the recidivism factors weigh it:
        the decisions recorded here for the same name and unit, less those revoked on appeal."""
        target = case.targets[index]
        if target.get("kind") != "person" or not target.get("name"):
            return AccountabilityHistory({}, [])
        earlier = await uow.repos.cases.earlier_decisions(
            case.tenant, target["name"], target.get("unit"), target.get("person_ref")
        )
        occurred = recommendation.get("occurred_on")
        return accountability_history(earlier, dt.date.fromisoformat(occurred) if occurred else None)

    # -- reading ----------------------------------------------------------------------------

    async def get(self, principal: Principal, case_id: str, *, client_address: str | None = None) -> CaseRead:
        async with self.uow() as uow:
            case = await self._visible_case(uow, principal, case_id)
            read = CaseRead.model_validate(await self._read(uow, case))
            await self._audit(uow, principal, client_address, case, "read")
            await uow.commit()
            return read

    async def list_cases(
        self,
        principal: Principal,
        matter_id: str | None,
        limit: int,
        *,
        mine: bool | None = None,
        client_address: str | None = None,
    ) -> list[CaseRead]:
        """The cases the caller may read, by default only those concerning its office (of
        matters it is party to); ``mine=False`` widens the list to every case its oversight or
        linked units let it read. Asked for one matter's cases, the list shows every one the
        caller may read unless ``mine`` is said."""
        if matter_id is not None:
            _check_uuid(matter_id, "query.matter_id")
        only_mine = mine if mine is not None else matter_id is None
        async with self.uow() as uow:
            cases = await uow.repos.cases.by_matter(
                principal.tenant,
                matter_id,
                limit,
                read_scope(principal),
                party_office=principal.office if only_mine and principal.office else None,
            )
            reads = [CaseRead.model_validate(await self._read(uow, c)) for c in cases]
            # One entry per list: what was asked and how many cases it showed.
            record = audit(
                principal,
                client_address,
                "case.list",
                "case",
                "*",
                matter_id=matter_id,
                mine=only_mine,
                limit=limit,
                count=len(reads),
            )
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return reads

    async def _visible_case(
        self, uow: ReviewUnitOfWork, principal: Principal, case_id: str, *, for_update: bool = False
    ) -> Case:
        """The case, if it is in the caller's tenant and the caller may read its matter."""
        case = await self._case(uow, principal.tenant, case_id, for_update=for_update)
        await check_readable(uow, principal, case.matter_id, CaseNotFound, "case", case_id)
        return case

    @staticmethod
    async def _audit(
        uow: ReviewUnitOfWork,
        principal: Principal,
        client_address: str | None,
        case: Case,
        verb: str,
        **detail: Any,
    ) -> None:
        """Last in the transaction: appending holds the tenant's audit chain until the commit."""
        record = audit(
            principal,
            client_address,
            f"case.{verb}",
            "case",
            case.id,
            matter_id=case.matter_id,
            state=case.state,
            **detail,
        )
        await uow.repos.audit.append(principal.tenant, [record])

    @staticmethod
    async def _case(uow: ReviewUnitOfWork, tenant: str, case_id: str, *, for_update: bool = False) -> Case:
        return await found(
            case_id, CaseNotFound, "case", lambda: uow.repos.cases.get(tenant, case_id, for_update=for_update)
        )

    @staticmethod
    async def _investigation(uow: ReviewUnitOfWork, tenant: str, investigation_id: str) -> Investigation:
        return await found(
            investigation_id,
            InvestigationNotFound,
            "investigation",
            lambda: uow.repos.cases.investigation(tenant, investigation_id=investigation_id),
        )

    @staticmethod
    def _handling(case: Case) -> str | None:
        return case.handler or case.investigated_by

    @classmethod
    def _handling_offices(cls, case: Case) -> list[str]:
        """Who may act for the handling office: nobody while the case has none."""
        office = cls._handling(case)
        return [office] if office else []

    @staticmethod
    def _target(case: Case, index: int, field: str) -> dict:
        if index >= len(case.targets):
            raise invalid(field, f"the case has {len(case.targets)} target(s), numbered from 0", code="no_such_target")
        return case.targets[index]

    @staticmethod
    async def _read(uow: ReviewUnitOfWork, case: Case) -> dict:
        repo = uow.repos.cases
        investigation = await repo.investigation(case.tenant, case_id=case.id)
        stage = {v: k for k, v in APPROVAL_KINDS.items()}
        approvals = [
            CaseApprovalRead(
                office=a.office,
                username=a.username,
                comment=a.comment,
                approved_at=a.approved_at,
                stage=stage[a.subject_kind],
            )
            for a in await uow.repos.deliberations.approvals(case.id)
            if a.subject_kind in stage
        ]
        decision = await repo.decision(case.id)
        read = CaseRead(
            id=case.id,
            matter_id=case.matter_id,
            slip_id=case.slip_id,
            slip_number=case.slip_number,
            matter_number=case.matter_number,
            summary=case.summary,
            relevant_date=case.relevant_date,
            targets=case.targets,
            procedure=case.procedure,
            handler=case.handler,
            cc=case.cc,
            investigated_by=case.investigated_by,
            investigated_with=case.investigated_with,
            reclassify_after_investigation=case.reclassify_after_investigation,
            joint_review_required=case.joint_review_required,
            start_approved_by=case.start_approved_by,
            decided_by=case.decided_by,
            fixed_by=case.fixed_by,
            citations=case.citations,
            state=case.state,
            requirements=case.requirements,
            joint_review_id=case.joint_review_id,
            investigation=InvestigationRead.model_validate(investigation) if investigation else None,
            recommendations=[RecommendationRead.model_validate(r) for r in await repo.recommendations(case.id)],
            hearings=[HearingRead.model_validate(h) for h in await repo.hearings(case.id)],
            approvals=approvals,
            decision=DecisionRead.model_validate(decision) if decision else None,
            created_at=case.created_at,
        )
        return read.model_dump(mode="json")


def _stage_order(pack: RulePack, procedure: str | None) -> list[str]:
    """The approval stages in the order the decision step's rules write them: the order in which
    one target's or several targets' approvals are given."""
    name = pack.workflow_decision("decision", procedure)
    if name is None:
        return []
    order: dict[str, None] = {}
    for table in pack.decision(name).tables:
        for rule in table.rules:
            for stage in rule.then.get("approval_sequence") or []:
                order.setdefault(stage["step"], None)
    return list(order)


def _label(pack: RulePack, code: str) -> str:
    """An office's or body's name as the pack gives it."""
    for vocabulary in ("bodies", "offices"):
        label = pack.vocabulary.get(vocabulary, {}).get(code)
        if label:
            return label
    return code


def _check_known_measures(pack: RulePack, field: str, measures: Iterable[str]) -> None:
    """Every measure is one of the pack's catalogue (the vocabulary the recommendation step reads
    them from); the refusal names those that are not."""
    name = pack.workflow_decision("recommendation")
    spec = pack.decision(name).inputs.get("proposed_measures") if name else None
    if spec is None or spec.vocab is None:
        return
    catalogue = pack.vocabulary.get(spec.vocab, {})
    unknown = [m for m in measures if m not in catalogue]
    if unknown:
        raise invalid(
            field,
            f"{', '.join(unknown)}: not in the tenant's catalogue of measures",
            code="unknown_measures",
            measures=unknown,
        )


def _check_measures_against(evaluation: Evaluation, field: str, measures: list[str]) -> None:
    """The recommendation step's judgement of ``measures``: each must be permitted, at least one is
    named where the rules require it, and the rules must not find the proposal invalid. Each
    refusal names the measures, the rules that decided and their articles."""
    outcome = evaluation.outcome
    permitted = outcome.get("permitted_measures") or []
    refused = outside_permitted(measures, permitted)
    if refused:
        rules = rules_setting(evaluation, "permitted_measures")
        raise RuleRefusal(
            field,
            f"{', '.join(refused)} not permitted; permitted: {', '.join(permitted) or 'none'}",
            citations_of(evaluation, "permitted_measures"),
            code="measures_not_permitted",
            measures=refused,
            rules=rules,
            outcome=_jsonable_outcome(outcome),
        )
    if not measures and outcome.get("measures_required") is True:
        raise RuleRefusal(
            field,
            "at least one measure is required for this target; none was given",
            citations_of(evaluation, "measures_required"),
            code="measures_required",
            rules=rules_setting(evaluation, "measures_required"),
            outcome=_jsonable_outcome(outcome),
        )
    if outcome.get("proposal_valid") is False:
        raise RuleRefusal(
            field,
            "the rules judge these measures invalid for this target",
            citations_of(evaluation, "proposal_valid"),
            code="measures_invalid",
            measures=list(measures),
            rules=rules_setting(evaluation, "proposal_valid"),
            outcome=_jsonable_outcome(outcome),
        )


def _check_identified(pack: RulePack, field: str, target: IdentifiedTarget) -> None:
    """An identified target is a person or an organisation whose codes are the pack's, as intake
    checks a matter's targets: routing classifies it by them, and a code it does not know would
    leave the new slip for an override instead of refusing the findings."""
    if target.kind == "unknown":
        raise invalid(
            f"{field}.kind", "an identified target is a person or an organisation", code="target_still_unknown"
        )
    if unknown := unknown_target_codes(pack.vocabulary, target):
        attribute, vocabulary, value = unknown[0]
        raise invalid(
            f"{field}.{attribute}",
            f"{str(value)[:40]!r} is not in {pack.tenant}'s {vocabulary}: {', '.join(pack.vocabulary[vocabulary])}",
            code="not_in_vocabulary",
        )


def _check_uuid(value: str, field: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid(field, "not a UUID", code="not_a_uuid") from None


def _decision_made(case: Case, decision: Decision) -> DecisionMade:
    return DecisionMade(
        tenant=case.tenant,
        matter_id=uuid.UUID(case.matter_id),
        decision_id=uuid.UUID(decision.id),
        number=decision.number,
        matter_number=case.matter_number,
        decided_by=decision.decided_by,
        decided_on=decision.decided_on,
        announced_on=decision.announced_on,
        simplified_procedure=decision.simplified,
        measures=[
            DecidedMeasure(
                target=TargetSnapshot.model_validate(item["target"]),
                measures=item["measures"],
                responsibility=item["responsibility"],
                # Decisions recorded before these were asked for have none.
                party_sanction=item.get("party_sanction"),
                leading_group_member=item.get("leading_group_member", False),
                organisation=item.get("organisation"),
            )
            for item in decision.measures
        ],
        citations=decision.citations,
        major_case=decision.major_case,
    )


def _jsonable_outcome(outcome: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, set | frozenset) else v) for k, v in outcome.items()}


def _factors_record(
    factors: Evaluation | None, facts: Mapping[str, Any], counted: Sequence[PriorDecision]
) -> dict[str, Any] | None:
    """What the factors step found, with the history facts it weighed and the earlier decisions
    it counted (by number and date), as shown with the recommendation."""
    if factors is None:
        return None
    return {
        "outcome": _jsonable_outcome(factors.outcome),
        "citations": citations_of(factors),
        "interpretations": [i.model_dump(mode="json") for i in factors.interpretations],
        "facts": {k: facts[k] for k in ("last_accountability_on", "prior_accountabilities") if k in facts},
        "prior_decisions": [d.as_record() for d in counted],
    }
