"""Cases: one per routing slip, from the investigation to the written decision.

Every step asks the tenant's pack through the workflow contract of docs/workflow.md: the
recommendation step judges proposed measures, the decision step says who decides, who
approves first and whether the target must be heard, the joint-review step whether a 会审
precedes the decision. Nothing here knows which tenant it serves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from wenze.auth.capabilities import APPROVAL_SIGN, DECISION_MAKE, MATTER_READ
from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events.intake import TargetSnapshot
from wenze.events.review import DecidedMeasure, DecisionMade, TargetsIdentified
from wenze.events.routing import MatterRouted
from wenze.ids import new_id
from wenze.problems import invalid
from wenze.rules import get_pack
from wenze.rules.errors import RulesError
from wenze.rules.facts import target_facts
from wenze_review.access import authorise
from wenze_review.cases.models import Case, DecidedPerson, Decision, Hearing, Investigation, Recommendation
from wenze_review.cases.schemas import (
    CaseApprovalCreate,
    CaseApprovalRead,
    CaseRead,
    DecisionCreate,
    DecisionRead,
    FindingsCreate,
    HearingCreate,
    HearingRead,
    InvestigationRead,
    RecommendationCreate,
    RecommendationRead,
)
from wenze_review.deliberations.models import Approval, Deliberation
from wenze_review.deliberations.service import DeliberationService
from wenze_review.errors import (
    AlreadyApproved,
    CaseNotFound,
    InvestigationNotFound,
    RuleRefusal,
    RulesUnavailable,
    StepMissing,
    WrongState,
    found,
)
from wenze_review.logic import (
    accountability_history,
    as_list,
    citations_of,
    outside_permitted,
    recommendation_facts,
)
from wenze_review.numbering import next_number

SYSTEM = "system"
CONSUMER_ROUTED = "review-matter-routed"
APPROVAL_KINDS = {"start": "case_start", "decision": "case_decision"}


def _evaluate(pack, step: str, facts: dict[str, Any], on: dt.date):
    """Evaluate the decision bound to ``step``, or ``None`` where the pack binds none."""
    name = pack.workflow_decision(step)
    if name is None:
        return None
    try:
        return pack.evaluate(name, facts, on=on)
    except RulesError as exc:
        raise RulesUnavailable(step, exc) from exc


class CaseService:
    def __init__(self, uow, deliberations: DeliberationService):
        self.uow = uow
        self.deliberations = deliberations
        deliberations.on_concluded["joint_review"] = self._joint_review_concluded

    # -- from routing ---------------------------------------------------------------------

    async def matter_routed(self, event: MatterRouted) -> None:
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_ROUTED):
                return
            case = Case(
                id=new_id(),
                tenant=event.tenant,
                matter_id=str(event.matter_id),
                slip_id=str(event.slip_id),
                slip_number=event.slip_number,
                matter_number=event.matter_number,
                summary=event.summary,
                relevant_date=event.relevant_date,
                targets=[t.model_dump() for t in event.targets],
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
                state="investigating",
                created_at=utcnow(),
            )
            office = event.investigated_by or event.handler
            investigation = Investigation(
                id=new_id(),
                tenant=event.tenant,
                case_id=case.id,
                office=office,
                joined_by=list(event.investigated_with),
                state="open",
            )
            uow.repos.cases.add(case)
            await uow.session.flush()
            uow.repos.cases.add(investigation)
            work = uow.repos.work
            work.record(
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
                    "investigated_by": office,
                    "investigated_with": case.investigated_with,
                },
            )
            if case.start_approved_by:
                case.state, investigation.state = "awaiting_start_approval", "pending"
                for approver in case.start_approved_by:
                    work.open_task(
                        tenant=case.tenant,
                        kind="start_approval",
                        office=approver,
                        capability=APPROVAL_SIGN,
                        matter_id=case.matter_id,
                        case_id=case.id,
                        subject_id=case.id,
                        citations=case.citations,
                    )
            else:
                self._open_investigation(uow, case, investigation)
            uow.repos.inbox.record(str(event.event_id), CONSUMER_ROUTED, event.subject)
            await uow.commit()

    def _open_investigation(self, uow, case: Case, investigation: Investigation) -> None:
        case.state, investigation.state = "investigating", "open"
        if investigation.office:
            uow.repos.work.open_task(
                tenant=case.tenant,
                kind="investigation",
                office=investigation.office,
                capability=MATTER_READ,
                matter_id=case.matter_id,
                case_id=case.id,
                subject_id=investigation.id,
                citations=case.citations,
            )

    # -- approvals --------------------------------------------------------------------------

    async def approve(
        self, principal: Principal, case_id: str, data: CaseApprovalCreate, idempotency: IdempotentRequest | None
    ) -> dict:
        async def act(uow) -> dict:
            case = await self._case(uow, principal.tenant, case_id, for_update=True)
            if data.stage == "start":
                offices, state = case.start_approved_by, "awaiting_start_approval"
                citations = case.citations
            else:
                offices, state = (case.requirements or {}).get("approved_by", []), "deciding"
                citations = (case.requirements or {}).get("citations", [])
            office = authorise(principal, f"{data.stage} approval of case {case.slip_number}", offices, APPROVAL_SIGN)
            if case.state != state:
                raise WrongState(f"case {case.slip_number} is {case.state}; the {data.stage} approval is not open")
            kind = APPROVAL_KINDS[data.stage]
            approvals = [a for a in await uow.repos.deliberations.approvals(case.id) if a.subject_kind == kind]
            if any(a.office == office for a in approvals):
                raise AlreadyApproved(f"{office} has already given the {data.stage} approval", extra={"office": office})
            uow.repos.deliberations.add_approval(
                Approval(
                    tenant=case.tenant,
                    subject_kind=kind,
                    subject_id=case.id,
                    office=office,
                    username=principal.username,
                    comment=data.comment,
                    approved_at=utcnow(),
                )
            )
            await uow.repos.work.close_tasks(case.id, f"{data.stage}_approval", principal.username, office=office)
            uow.repos.work.record(
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action=f"{data.stage}_approved",
                actor=principal.username,
                office=office,
                citations=citations,
                detail={"comment": data.comment},
            )
            if data.stage == "start" and set(offices) <= {a.office for a in approvals} | {office}:
                investigation = await uow.repos.cases.investigation(case.tenant, case_id=case.id)
                self._open_investigation(uow, case, investigation)
            return await self._read(uow, case)

        return await run_once(self.uow, idempotency, act)

    # -- investigation ----------------------------------------------------------------------

    async def record_findings(
        self, principal: Principal, investigation_id: str, data: FindingsCreate, idempotency: IdempotentRequest | None
    ) -> dict:
        async def act(uow) -> dict:
            investigation = await self._investigation(uow, principal.tenant, investigation_id)
            case = await self._case(uow, principal.tenant, investigation.case_id, for_update=True)
            office = authorise(
                principal,
                f"investigation of case {case.slip_number}",
                [investigation.office] if investigation.office else [],
                MATTER_READ,
            )
            if investigation.state != "open":
                raise WrongState(f"the investigation is {investigation.state}; findings are not open")
            identified = data.identified_targets or []
            if case.reclassify_after_investigation and not identified:
                raise invalid(
                    "body.identified_targets",
                    "the case is routed again once its targets are known: name them",
                    citations=case.citations,
                )
            if identified and not case.reclassify_after_investigation:
                raise invalid("body.identified_targets", "the case's targets are already known")
            investigation.state = "completed"
            investigation.findings = data.findings
            investigation.evidence = list(data.evidence)
            investigation.identified_targets = [t.model_dump() for t in identified]
            investigation.completed_by = principal.username
            investigation.completed_at = utcnow()
            await uow.repos.work.close_tasks(investigation.id, "investigation", principal.username)
            uow.repos.work.record(
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
            if identified:
                case.state = "reclassified"
                uow.publish(
                    TargetsIdentified(
                        tenant=case.tenant,
                        matter_id=uuid.UUID(case.matter_id),
                        investigation_id=uuid.UUID(investigation.id),
                        slip_id=uuid.UUID(case.slip_id),
                        targets=identified,
                    )
                )
                await uow.repos.work.cancel_open(case.id, principal.username)
            else:
                case.state = "recommending"
                for index, _ in enumerate(case.targets):
                    uow.repos.work.open_task(
                        tenant=case.tenant,
                        kind="recommendation",
                        office=self._handling(case),
                        capability=MATTER_READ,
                        matter_id=case.matter_id,
                        case_id=case.id,
                        subject_id=case.id,
                        target_index=index,
                        citations=case.citations,
                    )
            return await self._read(uow, case)

        return await run_once(self.uow, idempotency, act)

    # -- recommendations ----------------------------------------------------------------------

    async def recommend(
        self, principal: Principal, case_id: str, data: RecommendationCreate, idempotency: IdempotentRequest | None
    ) -> dict:
        async def act(uow) -> dict:
            case = await self._case(uow, principal.tenant, case_id, for_update=True)
            office = authorise(
                principal, f"recommendation in case {case.slip_number}", [self._handling(case)], MATTER_READ
            )
            if case.state != "recommending":
                raise WrongState(f"case {case.slip_number} is {case.state}; recommendations are not open")
            target = self._target(case, data.target_index, "body.target_index")
            pack = get_pack(case.tenant)
            content = data.model_dump(mode="json")
            facts = await self._facts(uow, pack, case, data.target_index, content)
            evaluation = _evaluate(pack, "recommendation", facts, case.relevant_date)
            if evaluation is None:
                raise RulesUnavailable(
                    "recommendation", RulesError(f"{case.tenant}'s pack binds no recommendation step")
                )
            outcome = evaluation.outcome
            citations = citations_of(evaluation)
            refused = outside_permitted(data.proposed_measures, outcome.get("permitted_measures"))
            if refused or outcome.get("proposal_valid") is False:
                reason = (
                    f"{', '.join(refused)} not permitted; permitted: "
                    f"{', '.join(outcome.get('permitted_measures') or []) or 'none'}"
                    if refused
                    else "the rules judge this proposal invalid"
                )
                raise RuleRefusal(
                    "body.proposed_measures", reason, citations, measures=refused, outcome=_jsonable_outcome(outcome)
                )
            factors = _evaluate(pack, "factors", facts, case.relevant_date)
            existing = {r.target_index: r for r in await uow.repos.cases.recommendations(case.id)}
            row = existing.get(data.target_index) or Recommendation(case_id=case.id, target_index=data.target_index)
            row.content, row.outcome = content, _jsonable_outcome(outcome)
            row.explanation = [f.model_dump(mode="json") for f in evaluation.explanation]
            row.factors = (
                None
                if factors is None
                else {
                    "outcome": _jsonable_outcome(factors.outcome),
                    "citations": citations_of(factors),
                    "facts": {k: facts[k] for k in ("last_accountability_on", "prior_accountabilities") if k in facts},
                }
            )
            row.citations, row.recorded_by, row.office, row.recorded_at = (
                citations,
                principal.username,
                office,
                utcnow(),
            )
            uow.repos.cases.add(row)
            await uow.repos.work.close_tasks(
                case.id, "recommendation", principal.username, target_index=data.target_index
            )
            uow.repos.work.record(
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                action="recommendation_recorded",
                actor=principal.username,
                office=office,
                citations=citations,
                detail={
                    "target": target.get("name"),
                    "target_index": data.target_index,
                    "proposed_measures": data.proposed_measures,
                    "severity": data.severity,
                },
            )
            await uow.session.flush()
            if len(await uow.repos.cases.recommendations(case.id)) == len(case.targets):
                await self._after_recommendations(uow, pack, case, principal.username)
            return await self._read(uow, case)

        return await run_once(self.uow, idempotency, act)

    async def _after_recommendations(self, uow, pack, case: Case, by: str) -> None:
        if case.joint_review_required and pack.workflow_decision("joint_review") is not None:
            recommendations = await uow.repos.cases.recommendations(case.id)
            for rec in recommendations:
                facts = await self._facts(uow, pack, case, rec.target_index, rec.content)
                evaluation = _evaluate(pack, "joint_review", facts, case.relevant_date)
                if evaluation.outcome.get("joint_review_required"):
                    review = await self.deliberations.open_joint_review(
                        uow,
                        tenant=case.tenant,
                        matter_id=case.matter_id,
                        slip_id=case.slip_id,
                        case_id=case.id,
                        matter_number=case.matter_number,
                        summary=case.summary,
                        relevant_date=case.relevant_date,
                        targets=case.targets,
                        outcome=evaluation.outcome,
                        citations=citations_of(evaluation),
                    )
                    case.state, case.joint_review_id = "joint_review", review.id
                    return
        await self._enter_decision(uow, pack, case, by)

    async def _joint_review_concluded(self, uow, review: Deliberation) -> None:
        case = await self._case(uow, review.tenant, review.case_id, for_update=True)
        await self._enter_decision(uow, get_pack(case.tenant), case, SYSTEM)

    async def _enter_decision(self, uow, pack, case: Case, by: str) -> None:
        """Ask the decision step who decides, who approves and whether the targets are heard; queue those steps."""
        decided_by: dict[str, None] = {}
        approved_by: dict[str, None] = {}
        hearing_required = False
        hearing_citations: dict[str, None] = {}
        citations: dict[str, None] = {}
        for rec in await uow.repos.cases.recommendations(case.id):
            facts = await self._facts(uow, pack, case, rec.target_index, rec.content)
            # Until the decision is recorded, the recommended measures stand for the decided ones.
            facts["measures"] = rec.content["proposed_measures"]
            evaluation = _evaluate(pack, "decision", facts, case.relevant_date)
            if evaluation is None:
                raise RulesUnavailable("decision", RulesError(f"{case.tenant}'s pack binds no decision step"))
            decided_by.update(dict.fromkeys(as_list(evaluation.outcome.get("decided_by"))))
            approved_by.update(dict.fromkeys(as_list(evaluation.outcome.get("approved_by"))))
            if evaluation.outcome.get("hearing_required"):
                hearing_required = True
                hearing_citations.update(dict.fromkeys(citations_of(evaluation, "hearing_required")))
            citations.update(dict.fromkeys(citations_of(evaluation)))
        deciders = list(decided_by) or list(case.decided_by)
        case.requirements = {
            "decided_by": deciders,
            "approved_by": list(approved_by),
            "hearing_required": hearing_required,
            "hearing_citations": list(hearing_citations),
            "citations": list(citations),
        }
        case.state = "deciding"
        work = uow.repos.work
        for office in approved_by:
            work.open_task(
                tenant=case.tenant,
                kind="decision_approval",
                office=office,
                capability=APPROVAL_SIGN,
                matter_id=case.matter_id,
                case_id=case.id,
                subject_id=case.id,
                citations=list(citations),
            )
        heard = {h.target_index for h in await uow.repos.cases.hearings(case.id)}
        for index, _ in enumerate(case.targets):
            if index not in heard:
                work.open_task(
                    tenant=case.tenant,
                    kind="hearing",
                    office=self._handling(case),
                    capability=MATTER_READ,
                    matter_id=case.matter_id,
                    case_id=case.id,
                    subject_id=case.id,
                    target_index=index,
                    citations=list(hearing_citations),
                )
        for office in deciders:
            work.open_task(
                tenant=case.tenant,
                kind="decision",
                office=office,
                capability=DECISION_MAKE,
                matter_id=case.matter_id,
                case_id=case.id,
                subject_id=case.id,
                citations=list(citations),
            )
        work.record(
            tenant=case.tenant,
            matter_id=case.matter_id,
            case_id=case.id,
            action="decision_stage_opened",
            actor=by,
            office=None,
            citations=list(citations),
            detail=case.requirements,
        )

    # -- hearings ---------------------------------------------------------------------------

    async def hear(
        self, principal: Principal, case_id: str, data: HearingCreate, idempotency: IdempotentRequest | None
    ) -> dict:
        async def act(uow) -> dict:
            case = await self._case(uow, principal.tenant, case_id, for_update=True)
            office = authorise(principal, f"hearing in case {case.slip_number}", [self._handling(case)], MATTER_READ)
            if case.state not in ("recommending", "joint_review", "deciding"):
                raise WrongState(f"case {case.slip_number} is {case.state}; hearings are not open")
            target = self._target(case, data.target_index, "body.target_index")
            if data.held_on > get_pack(case.tenant).today():
                raise invalid("body.held_on", "a hearing cannot be recorded before it is held")
            uow.repos.cases.add(
                Hearing(
                    case_id=case.id,
                    target_index=data.target_index,
                    held_on=data.held_on,
                    arguments=[a.model_dump() for a in data.arguments],
                    recorded_by=principal.username,
                    office=office,
                    recorded_at=utcnow(),
                )
            )
            await uow.repos.work.close_tasks(case.id, "hearing", principal.username, target_index=data.target_index)
            uow.repos.work.record(
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
            return await self._read(uow, case)

        return await run_once(self.uow, idempotency, act)

    # -- decision ---------------------------------------------------------------------------

    async def decide(
        self, principal: Principal, case_id: str, data: DecisionCreate, idempotency: IdempotentRequest | None
    ) -> dict:
        async def act(uow) -> dict:
            case = await self._case(uow, principal.tenant, case_id, for_update=True)
            pack = get_pack(case.tenant)
            if case.state in ("decided", "reclassified"):
                raise WrongState(f"case {case.slip_number} is {case.state}")
            recommendations = {r.target_index: r for r in await uow.repos.cases.recommendations(case.id)}
            missing = [i for i in range(len(case.targets)) if i not in recommendations]
            if missing:
                raise StepMissing(
                    f"no recommendation for target(s) {missing} of case {case.slip_number}",
                    step="recommendation",
                    targets=missing,
                )
            by_target = self._measures_by_target(case, data)
            self._check_decision_dates(pack, case, data)
            deciders: dict[str, None] = {}
            approvers: dict[str, None] = {}
            hearing_citations: dict[str, None] = {}
            citations: dict[str, None] = {}
            hearing_required = False
            for index, measures in by_target.items():
                facts = await self._facts(uow, pack, case, index, recommendations[index].content)
                facts.update(measures=measures.measures, facts_clear=data.facts_clear)
                evaluation = _evaluate(pack, "decision", facts, data.decided_on)
                deciders.update(dict.fromkeys(as_list(evaluation.outcome.get("decided_by"))))
                approvers.update(dict.fromkeys(as_list(evaluation.outcome.get("approved_by"))))
                if evaluation.outcome.get("hearing_required"):
                    hearing_required = True
                    hearing_citations.update(dict.fromkeys(citations_of(evaluation, "hearing_required")))
                citations.update(dict.fromkeys(citations_of(evaluation)))
            office = authorise(
                principal, f"decision of case {case.slip_number}", list(deciders) or case.decided_by, DECISION_MAKE
            )
            if case.state == "joint_review":
                raise StepMissing(
                    f"the joint review of case {case.slip_number} has not concluded",
                    step="joint_review",
                    joint_review_id=case.joint_review_id,
                )
            if case.state != "deciding":
                raise WrongState(f"case {case.slip_number} is {case.state}; it is not ready for a decision")
            heard = {h.target_index for h in await uow.repos.cases.hearings(case.id)}
            unheard = [i for i in by_target if i not in heard]
            if unheard:
                # Hearing the target is always recorded first; where the pack requires it, its article is cited.
                cited = list(hearing_citations) if hearing_required else []
                raise StepMissing(
                    f"no hearing (陈述、申辩) recorded for target(s) {unheard}",
                    step="hearing",
                    citations=cited,
                    targets=unheard,
                )
            approved = {
                a.office
                for a in await uow.repos.deliberations.approvals(case.id)
                if a.subject_kind == APPROVAL_KINDS["decision"]
            }
            unapproved = [o for o in approvers if o not in approved]
            if unapproved:
                raise StepMissing(
                    f"the approval of {', '.join(unapproved)} is not recorded",
                    step="approval",
                    citations=list(citations),
                    offices=unapproved,
                )
            for position, (index, measures) in enumerate(by_target.items()):
                rec = recommendations[index]
                facts = await self._facts(
                    uow, pack, case, index, {**rec.content, "proposed_measures": measures.measures}
                )
                evaluation = _evaluate(pack, "recommendation", facts, data.decided_on)
                refused = outside_permitted(measures.measures, evaluation.outcome.get("permitted_measures"))
                if refused or evaluation.outcome.get("proposal_valid") is False:
                    raise RuleRefusal(
                        f"body.measures.{position}.measures",
                        f"{', '.join(refused) or 'these measures'} not permitted; permitted: "
                        f"{', '.join(evaluation.outcome.get('permitted_measures') or []) or 'none'}",
                        citations_of(evaluation),
                        measures=refused,
                    )
                citations.update(dict.fromkeys(citations_of(evaluation)))
            if data.simplified:
                allowed = []
                for index in by_target:
                    facts = await self._facts(uow, pack, case, index, recommendations[index].content)
                    facts.update(measures=by_target[index].measures, facts_clear=data.facts_clear)
                    evaluation = _evaluate(pack, "simplified_procedure", facts, data.decided_on)
                    allowed.append(evaluation is not None and evaluation.outcome.get("simplified_allowed") is True)
                    if not allowed[-1]:
                        why = (
                            "the pack has no simplified procedure"
                            if evaluation is None
                            else "the rules do not allow the simplified procedure here"
                        )
                        raise RuleRefusal(
                            "body.simplified", why, [] if evaluation is None else citations_of(evaluation)
                        )
            try:
                number, _ = await next_number(uow.session, pack, "decision", data.decided_on)
            except RulesError as exc:
                raise RulesUnavailable("decision numbering", exc) from exc
            if number is None:
                raise RulesUnavailable(
                    "decision numbering", RulesError(f"{case.tenant}'s pack declares no numbering kind 'decision'")
                )
            decided = [
                {
                    "target_index": i,
                    "target": case.targets[i],
                    "measures": m.measures,
                    "responsibility": m.responsibility,
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
                measures=decided,
                citations=list(citations),
                recorded_by=principal.username,
                recorded_at=utcnow(),
            )
            uow.repos.cases.add(decision)
            await uow.session.flush()
            for item in decided:
                target = item["target"]
                if target.get("kind") == "person" and target.get("name"):
                    uow.repos.cases.add(
                        DecidedPerson(
                            tenant=case.tenant,
                            decision_id=decision.id,
                            name=target["name"],
                            unit=target.get("unit"),
                            decided_on=data.decided_on,
                        )
                    )
            case.state = "decided"
            await uow.repos.work.close_tasks(case.id, "decision", principal.username)
            uow.repos.work.record(
                tenant=case.tenant,
                matter_id=case.matter_id,
                case_id=case.id,
                subject_id=decision.id,
                action="decision_made",
                actor=principal.username,
                office=office,
                citations=list(citations),
                detail={
                    "number": number,
                    "decided_on": data.decided_on.isoformat(),
                    "simplified": data.simplified,
                    "measures": decided,
                },
            )
            uow.publish(
                DecisionMade(
                    tenant=case.tenant,
                    matter_id=uuid.UUID(case.matter_id),
                    decision_id=uuid.UUID(decision.id),
                    number=number,
                    matter_number=case.matter_number,
                    decided_by=office,
                    decided_on=data.decided_on,
                    announced_on=data.announced_on,
                    simplified_procedure=data.simplified,
                    measures=[
                        DecidedMeasure(
                            target=TargetSnapshot.model_validate(d["target"]),
                            measures=d["measures"],
                            responsibility=d["responsibility"],
                        )
                        for d in decided
                    ],
                    citations=list(citations),
                )
            )
            return await self._read(uow, case)

        return await run_once(self.uow, idempotency, act, status_code=201)

    @staticmethod
    def _check_decision_dates(pack, case: Case, data: DecisionCreate) -> None:
        """A decision is dated the day it is made: not after the tenant's today, not before its case was opened."""
        today = pack.today()
        if data.decided_on > today:
            raise invalid("body.decided_on", f"is after today ({today}): a decision is recorded once it is made")
        opened_on = pack.local_date(case.created_at)
        if data.decided_on < opened_on:
            raise invalid("body.decided_on", f"is before the case was opened ({opened_on})")
        if data.announced_on is not None and data.announced_on < data.decided_on:
            raise invalid("body.announced_on", "a decision is announced on or after the day it is made")

    def _measures_by_target(self, case: Case, data: DecisionCreate) -> dict:
        by_target = {}
        for position, item in enumerate(data.measures):
            self._target(case, item.target_index, f"body.measures.{position}.target_index")
            if item.target_index in by_target:
                raise invalid(f"body.measures.{position}.target_index", "each target is decided once")
            by_target[item.target_index] = item
        missing = [i for i in range(len(case.targets)) if i not in by_target]
        if missing:
            raise invalid("body.measures", f"no measures for target(s) {missing}")
        return dict(sorted(by_target.items()))

    # -- facts ------------------------------------------------------------------------------

    async def _facts(self, uow, pack, case: Case, index: int, recommendation: dict) -> dict[str, Any]:
        """The facts of docs/workflow.md for one target: target, the slip's routing outcome, recommendation, history."""
        target = case.targets[index]
        facts = {**case.routing_facts, **target_facts(target)}
        facts.update({k: v for k, v in case.routing_outcome.items() if v is not None})
        facts.update(recommendation_facts(recommendation))
        if target.get("kind") == "person" and target.get("name"):
            earlier = await uow.repos.cases.earlier_decisions(case.tenant, target["name"], target.get("unit"))
            occurred = recommendation.get("occurred_on")
            facts.update(accountability_history(earlier, dt.date.fromisoformat(occurred) if occurred else None))
        return facts

    # -- reading ----------------------------------------------------------------------------

    async def get(self, principal: Principal, case_id: str) -> CaseRead:
        async with self.uow() as uow:
            return CaseRead.model_validate(await self._read(uow, await self._case(uow, principal.tenant, case_id)))

    async def list(self, principal: Principal, matter_id: str | None, limit: int) -> list[CaseRead]:
        if matter_id is not None:
            _check_uuid(matter_id, "query.matter_id")
        async with self.uow() as uow:
            return [
                CaseRead.model_validate(await self._read(uow, c))
                for c in await uow.repos.cases.by_matter(principal.tenant, matter_id, limit)
            ]

    async def _case(self, uow, tenant: str, case_id: str, *, for_update: bool = False) -> Case:
        return await found(
            case_id, CaseNotFound, "case", lambda: uow.repos.cases.get(tenant, case_id, for_update=for_update)
        )

    async def _investigation(self, uow, tenant: str, investigation_id: str) -> Investigation:
        return await found(
            investigation_id,
            InvestigationNotFound,
            "investigation",
            lambda: uow.repos.cases.investigation(tenant, investigation_id=investigation_id),
        )

    @staticmethod
    def _handling(case: Case) -> str | None:
        return case.handler or case.investigated_by

    @staticmethod
    def _target(case: Case, index: int, field: str) -> dict:
        if index >= len(case.targets):
            raise invalid(field, f"the case has {len(case.targets)} target(s), numbered from 0")
        return case.targets[index]

    async def _read(self, uow, case: Case) -> dict:
        await uow.session.flush()
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


def _check_uuid(value: str, field: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid(field, "not a UUID") from None


def _jsonable_outcome(outcome: dict) -> dict:
    return {k: (sorted(v) if isinstance(v, set | frozenset) else v) for k, v in outcome.items()}
