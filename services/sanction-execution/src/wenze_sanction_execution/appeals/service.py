"""Appeals (申诉): lodged within the pack's window from the day the person received the decision,
addressed to the body the pack names, suspending execution only where the pack says so; the
outcome (upheld, varied, revoked) resumes, changes or revokes the executions and after-effects.

The pack's ``appeal`` workflow step answers all of it; a pack without one provides no appeal
of its own and a filing is refused naming that. The appeal is recorded by the office carrying
out the decision or by the hearing body, the outcome by either of them holding
``decision:make``; always within their authority over the person.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from wenze.auth import Principal
from wenze.auth.access import authorise_step, may_read
from wenze.auth.capabilities import DECISION_MAKE, MATTER_READ
from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events import TargetSnapshot
from wenze.events.execution import AppealDecided, AppealFiled, ExecutionCompleted, ReadingApplied
from wenze.problems import invalid
from wenze.rules import get_pack
from wenze_sanction_execution.appeals.models import Appeal, AppealState
from wenze_sanction_execution.appeals.schemas import AppealCreate, AppealOutcome, AppealRead
from wenze_sanction_execution.audit import by_caller
from wenze_sanction_execution.errors import AppealAlreadyFiled, AppealNotFound, ExecutionNotFound
from wenze_sanction_execution.executions.models import DeadlineState, Execution, ExecutionState
from wenze_sanction_execution.executions.service import open_executions
from wenze_sanction_execution.repositories import SanctionExecutionRepositories
from wenze_sanction_execution.terms import appeal_terms

APPEAL = "appeal"
Uow = UnitOfWork[SanctionExecutionRepositories]


class AppealService:
    def __init__(self, uow: UnitOfWorkFactory[SanctionExecutionRepositories], *, default_lead_days: int):
        self.uow = uow
        self.default_lead_days = default_lead_days

    async def file(
        self,
        principal: Principal,
        data: AppealCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None,
    ) -> dict:
        pack = get_pack(principal.tenant)
        step = pack.workflow_decision("appeal")
        if step is None:
            raise invalid(
                "body.decision_id",
                f"the rules of {principal.tenant} provide no appeal against an accountability decision of their own",
                code="no_appeal_in_rules",
            )
        if data.filed_on > pack.today():
            raise invalid(
                "body.filed_on",
                f"{data.filed_on} is after today ({pack.today()}) in {pack.tenant}",
                code="filed_on_in_future",
            )

        async def act(uow: Uow) -> dict:
            executions = await self._readable_executions(uow, principal, data.decision_id, data.person_id)
            first = executions[0]
            received_on = data.received_on or first.announced_on or first.decided_on
            if received_on < first.decided_on:
                raise invalid(
                    "body.received_on",
                    f"{received_on} is before the decision of {first.decided_on}",
                    code="before_decision",
                )
            if data.filed_on < received_on:
                raise invalid(
                    "body.filed_on",
                    f"{data.filed_on} is before the decision was received on {received_on}",
                    code="filed_before_received",
                )
            facts = {"received_on": received_on, "cadre_level": first.target.get("cadre_level"), "appeal_lodged": True}
            # The readings in force on the day the decision was received, the date the appeal rules read.
            readings = await uow.repos.interpretations.readings_on(pack.tenant, received_on)
            evaluation = pack.evaluate(
                step, {k: v for k, v in facts.items() if v is not None}, on=received_on, readings=readings
            )
            terms = appeal_terms(evaluation)
            if not terms.allowed:
                raise invalid(
                    "body.person_id",
                    "the rules provide no appeal of their own for this person's cadre level",
                    code="no_appeal_for_cadre_level",
                    citations=terms.citations,
                    interpretations=terms.interpretations,
                )
            if terms.last_day is not None and data.filed_on > terms.last_day:
                raise invalid(
                    "body.filed_on",
                    f"lodged on {data.filed_on}, after the last day to appeal, {terms.last_day} "
                    f"(the decision was received on {received_on})",
                    code="appeal_out_of_time",
                    last_day=terms.last_day.isoformat(),
                    citations=terms.citations,
                    interpretations=terms.interpretations,
                )
            heard_by = data.heard_by or (terms.heard_by[0] if terms.heard_by else None)
            if heard_by is None or heard_by not in terms.heard_by:
                raise invalid(
                    "body.heard_by",
                    f"the appeal is addressed to one of {', '.join(terms.heard_by)}",
                    code="not_a_hearing_body",
                )
            access = await uow.repos.executions.access(first)
            authorise_step(
                principal,
                access,
                step="recording an appeal against this decision",
                offices=[first.office, *terms.heard_by],
                capability=MATTER_READ,
                assigned=True,
            )
            if await uow.repos.appeals.pending_for(principal.tenant, data.decision_id, data.person_id):
                raise AppealAlreadyFiled("an appeal by this person against this decision awaits its outcome")
            appeal = Appeal(
                tenant=principal.tenant,
                decision_id=first.decision_id,
                decision_number=first.decision_number,
                matter_id=first.matter_id,
                matter_number=first.matter_number,
                person_id=first.person_id,
                received_on=received_on,
                filed_on=data.filed_on,
                last_day=terms.last_day,
                heard_by=[heard_by],
                suspends_execution=terms.suspends_execution,
                state=AppealState.FILED,
                recorded_by=principal.username,
                citations=terms.citations,
                interpretations=terms.interpretations,
            )
            await uow.repos.appeals.add(appeal)
            if terms.suspends_execution:
                await self._suspend(uow, executions)
            uow.publish(
                AppealFiled(
                    tenant=principal.tenant,
                    matter_id=uuid.UUID(first.matter_id),
                    appeal_id=uuid.UUID(appeal.id),
                    decision_id=uuid.UUID(first.decision_id),
                    matter_number=first.matter_number,
                    target=TargetSnapshot.model_validate(first.target),
                    filed_on=data.filed_on,
                    heard_by=heard_by,
                    suspends_execution=terms.suspends_execution,
                    citations=terms.citations,
                    interpretations=ReadingApplied.all_from_stored(terms.interpretations),
                )
            )
            await uow.repos.audit.append(
                principal.tenant,
                [
                    by_caller(
                        principal,
                        client_address,
                        "appeal.file",
                        APPEAL,
                        appeal.id,
                        {"decision_id": first.decision_id, "filed_on": data.filed_on.isoformat()},
                    )
                ],
            )
            return AppealRead.model_validate(appeal).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act, status_code=201)

    async def decide(
        self,
        principal: Principal,
        appeal_id: str,
        data: AppealOutcome,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None,
    ) -> dict:
        pack = get_pack(principal.tenant)
        known = pack.vocabulary.get("measures", {}) | pack.vocabulary.get("organisational_measures", {})
        if data.outcome == "varied":
            if not data.measures:
                raise invalid(
                    "body.measures",
                    "a varied decision names the measures it now imposes",
                    code="varied_measures_required",
                )
            unknown = [m for m in data.measures if m not in known]
            if unknown:
                raise invalid(
                    "body.measures",
                    f"{', '.join(unknown)} are not measures of {principal.tenant}",
                    code="unknown_measures",
                    measures=unknown,
                )
        elif data.measures:
            raise invalid(
                "body.measures",
                f"measures are given only when the decision is varied, not {data.outcome}",
                code="measures_only_when_varied",
            )
        if data.decided_on > pack.today():
            raise invalid(
                "body.decided_on",
                f"{data.decided_on} is after today ({pack.today()}) in {pack.tenant}",
                code="decided_on_in_future",
            )

        async def act(uow: Uow) -> dict:
            appeal = await uow.repos.appeals.get(principal.tenant, appeal_id)
            if appeal is None:
                raise AppealNotFound(appeal_id)
            try:
                executions = await self._readable_executions(uow, principal, appeal.decision_id, appeal.person_id)
            except ExecutionNotFound:
                raise AppealNotFound(appeal_id) from None
            if data.decided_on < appeal.filed_on:
                raise invalid(
                    "body.decided_on",
                    f"{data.decided_on} is before the appeal was lodged on {appeal.filed_on}",
                    code="decided_on_before_appeal",
                )
            first = executions[0]
            authorise_step(
                principal,
                await uow.repos.executions.access(first),
                step="recording the outcome of this appeal",
                offices=[first.office, *appeal.heard_by],
                capability=DECISION_MAKE,
                assigned=True,
            )
            measures = list(data.measures) if data.outcome == "varied" else [e.measure for e in executions]
            await uow.repos.appeals.decide(appeal, outcome=data.outcome, measures=measures, decided_on=data.decided_on)
            kept = [] if data.outcome == "revoked" else [e for e in executions if e.measure in measures]
            for execution in executions:
                if execution in kept:
                    await self._resume(uow, execution)
                elif execution.state != ExecutionState.REVOKED:
                    await self._revoke(uow, execution)
            if data.outcome != "upheld":
                for effect in await uow.repos.persons.active_effects_of_decision(
                    appeal.tenant, appeal.person_id, appeal.decision_id
                ):
                    await uow.repos.persons.lift(effect)
            if data.outcome == "varied":
                target = TargetSnapshot.model_validate(first.target)
                await open_executions(
                    uow,
                    pack,
                    decision_id=first.decision_id,
                    decision_number=first.decision_number,
                    matter_id=first.matter_id,
                    matter_number=first.matter_number,
                    office=first.office,
                    decided_on=first.decided_on,
                    announced_on=first.announced_on,
                    target=target,
                    measures=measures,
                    default_lead_days=self.default_lead_days,
                )
            uow.publish(
                AppealDecided(
                    tenant=appeal.tenant,
                    matter_id=uuid.UUID(appeal.matter_id),
                    appeal_id=uuid.UUID(appeal.id),
                    decision_id=uuid.UUID(appeal.decision_id),
                    matter_number=appeal.matter_number,
                    outcome=data.outcome,
                    measures=measures if data.outcome != "revoked" else [],
                    decided_on=data.decided_on,
                    citations=list(appeal.citations),
                    target=TargetSnapshot.model_validate(first.target),
                )
            )
            await uow.repos.audit.append(
                principal.tenant,
                [
                    by_caller(
                        principal,
                        client_address,
                        "appeal.decide",
                        APPEAL,
                        appeal.id,
                        {"outcome": data.outcome, "measures": measures},
                    )
                ],
            )
            return AppealRead.model_validate(appeal).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def get(self, principal: Principal, appeal_id: str, *, client_address: str | None) -> AppealRead:
        async with self.uow() as uow:
            appeal = await uow.repos.appeals.get(principal.tenant, appeal_id)
            if appeal is None:
                raise AppealNotFound(appeal_id)
            try:
                await self._readable_executions(uow, principal, appeal.decision_id, appeal.person_id)
            except ExecutionNotFound:
                raise AppealNotFound(appeal_id) from None
            read = AppealRead.model_validate(appeal)
            await uow.repos.audit.append(
                principal.tenant, [by_caller(principal, client_address, "appeal.read", APPEAL, appeal.id)]
            )
            await uow.commit()
            return read

    # ------------------------------------------------------------------ internals

    @staticmethod
    async def _readable_executions(uow: Uow, principal: Principal, decision_id: str, person_id: str) -> list[Execution]:
        executions = await uow.repos.executions.of_decision(principal.tenant, decision_id, person_id)
        if not executions or not may_read(principal, await uow.repos.executions.access(executions[0])):
            raise ExecutionNotFound(f"{decision_id} / {person_id}")
        return executions

    @staticmethod
    async def _suspend(uow: Uow, executions: Sequence[Execution]) -> None:
        for execution in executions:
            if execution.state != ExecutionState.OPEN:
                continue
            await uow.repos.executions.move(execution, "suspend")
            for deadline in await uow.repos.executions.deadlines([execution.id]):
                if deadline.state in (DeadlineState.PENDING, DeadlineState.REMINDED):
                    await uow.repos.executions.move_deadline(deadline, "suspend")

    @staticmethod
    async def _resume(uow: Uow, execution: Execution) -> None:
        if execution.state != ExecutionState.SUSPENDED:
            return
        await uow.repos.executions.move(execution, "resume")
        for deadline in await uow.repos.executions.deadlines([execution.id]):
            if deadline.state == DeadlineState.SUSPENDED:
                await uow.repos.executions.move_deadline(deadline, "resume")

    @staticmethod
    async def _revoke(uow: Uow, execution: Execution) -> None:
        await uow.repos.executions.move(execution, "revoke")
        for deadline in uow.repos.executions.unfinished(await uow.repos.executions.deadlines([execution.id])):
            await uow.repos.executions.move_deadline(deadline, "cancel")
        uow.publish(
            ExecutionCompleted(
                tenant=execution.tenant,
                matter_id=uuid.UUID(execution.matter_id),
                execution_id=uuid.UUID(execution.id),
                decision_id=uuid.UUID(execution.decision_id),
                matter_number=execution.matter_number,
                outcome="revoked",
            )
        )
