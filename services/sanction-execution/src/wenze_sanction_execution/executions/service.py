"""Carrying out decisions: an execution per target and measure from ``decision.made``, with the
steps and deadlines the tenant's pack prescribes (its ``execution`` workflow step); staff
complete the steps; the scheduler reminds of deadlines (``deadline.due``) and reports missed
ones (``deadline.missed``), each once; each office lists its open deadlines with a traffic light.

Who reads an execution follows ``wenze.auth.access`` with its parties (the office that decided
and carries it out, every office its steps name) and its target. A step is completed by its
actor or, for a body that acts without an office of its own on the platform (a party
secretary, a standing committee), recorded by the executing office; always within the
caller's cadre-management authority over the target. Every change is audited in its
transaction (ADR 0014) and announced through the outbox (ADR 0001).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from wenze.auth import Principal
from wenze.auth.access import MatterAccess, authorise_step, may_read, read_scope
from wenze.auth.capabilities import MATTER_OVERSEE, MATTER_READ
from wenze.db import UnitOfWork, UnitOfWorkFactory, utcnow
from wenze.db.audit import AuditRecord
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events import DecisionMade, TargetSnapshot
from wenze.events.execution import DeadlineDue, DeadlineMissed, ExecutionCompleted, ExecutionOpened, ReadingApplied
from wenze.problems import invalid
from wenze.rules import RulePack, get_pack
from wenze_sanction_execution.audit import by_caller, by_service
from wenze_sanction_execution.errors import (
    AnotherOfficesDeadlines,
    ExecutionNotFound,
    ExecutionStateConflict,
    StepNotFound,
)
from wenze_sanction_execution.executions.access import execution_access
from wenze_sanction_execution.executions.models import (
    OPEN_DEADLINES,
    Deadline,
    DeadlineState,
    Execution,
    ExecutionState,
    ExecutionStep,
    StepState,
)
from wenze_sanction_execution.executions.schemas import (
    DeadlineRead,
    ExecutionDeadlineRead,
    ExecutionRead,
    Light,
    OpenDeadlineRead,
    StepCompletion,
    StepRead,
)
from wenze_sanction_execution.persons.schemas import AfterEffectRead
from wenze_sanction_execution.persons.service import record_after_effects
from wenze_sanction_execution.repositories import SanctionExecutionRepositories
from wenze_sanction_execution.terms import decision_facts, execution_plan

CONSUMER_DECIDED = "sanction-execution-decision-made"
EXECUTION = "execution"
DEADLINE = "deadline"

Uow = UnitOfWork[SanctionExecutionRepositories]


def light_of(deadline: Deadline, today: dt.date) -> Light:
    if deadline.state == DeadlineState.MISSED or deadline.due_on < today:
        return Light.RED
    if deadline.remind_on <= today:
        return Light.YELLOW
    return Light.GREEN


async def open_executions(
    uow: Uow,
    pack: RulePack,
    *,
    decision_id: str,
    decision_number: str,
    matter_id: str,
    matter_number: str,
    office: str,
    decided_on: dt.date,
    announced_on: dt.date | None,
    target: TargetSnapshot,
    measures: Sequence[str],
    default_lead_days: int,
) -> list[Execution]:
    """One execution per measure of ``target`` not yet opened, with the pack's steps and
    deadlines, the events announcing them, and the target's after-effects."""
    step_name = pack.workflow_decision("execution")
    target_json = target.model_dump(mode="json")
    person = await uow.repos.persons.find_or_add(pack.tenant, target_json, decided_on)
    opened: list[Execution] = []
    facts = decision_facts(pack, target_json, measures, decided_on)
    # The tenant's readings of the pack's interpretation points in force on the decision's date.
    readings = await uow.repos.interpretations.readings_on(pack.tenant, decided_on)
    for measure in measures:
        if await uow.repos.executions.exists_for(pack.tenant, decision_id, person.id, measure):
            continue
        plan = None
        if step_name is not None:
            evaluation = pack.evaluate(step_name, {**facts, "measure": measure}, on=decided_on, readings=readings)
            plan = execution_plan(pack, evaluation, default_lead_days=default_lead_days)
        execution = Execution(
            tenant=pack.tenant,
            decision_id=decision_id,
            decision_number=decision_number,
            matter_id=matter_id,
            matter_number=matter_number,
            person_id=person.id,
            target=target_json,
            measure=measure,
            office=office,
            decided_on=decided_on,
            announced_on=announced_on,
            state=ExecutionState.OPEN,
            citations=plan.citations if plan else [],
            interpretations=plan.interpretations if plan else [],
        )
        await uow.repos.executions.add([execution])
        steps = [
            ExecutionStep(
                execution_id=execution.id,
                tenant=pack.tenant,
                position=position,
                code=step.code,
                action=step.action,
                actor=step.actor,
                joined_by=step.joined_by,
                state=StepState.PENDING,
                citations=step.citations,
                numbering=step.numbering,
            )
            for position, step in enumerate(plan.steps if plan else [], start=1)
        ]
        deadlines = [
            Deadline(
                tenant=pack.tenant,
                execution_id=execution.id,
                matter_id=matter_id,
                matter_number=matter_number,
                office=office,
                duty=planned.duty,
                label=planned.label,
                due_on=planned.due_on,
                remind_on=planned.remind_on,
                state=DeadlineState.PENDING,
                citations=planned.citations,
                interpretations=planned.interpretations,
            )
            for planned in (plan.deadlines if plan else [])
        ]
        await uow.repos.executions.add([*steps, *deadlines])
        parties = [p for s in steps for p in (s.actor, *s.joined_by)]
        await uow.repos.executions.grant(execution, execution_access(office, target_json, parties))
        uow.publish(
            ExecutionOpened(
                tenant=pack.tenant,
                matter_id=uuid.UUID(matter_id),
                execution_id=uuid.UUID(execution.id),
                decision_id=uuid.UUID(decision_id),
                decision_number=decision_number,
                matter_number=matter_number,
                target=target,
                measure=measure,
                office=office,
                steps=[s.code for s in steps],
                citations=execution.citations,
                interpretations=ReadingApplied.all_from_stored(execution.interpretations),
            )
        )
        opened.append(execution)
    await record_after_effects(
        uow,
        pack,
        person_id=person.id,
        decision_id=decision_id,
        decision_number=decision_number,
        target=target_json,
        measures=measures,
        decided_on=decided_on,
    )
    return opened


class ExecutionService:
    def __init__(self, uow: UnitOfWorkFactory[SanctionExecutionRepositories], *, default_lead_days: int):
        self.uow = uow
        self.default_lead_days = default_lead_days

    # ------------------------------------------------------------------ consumer

    async def decision_made(self, event: DecisionMade) -> None:
        """Open the executions of a decision, once however often the event is delivered."""
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_DECIDED):
                return
            uow.repos.inbox.record(str(event.event_id), CONSUMER_DECIDED, event.subject)
            pack = get_pack(event.tenant)
            opened: list[Execution] = []
            for decided in event.measures:
                opened += await open_executions(
                    uow,
                    pack,
                    decision_id=str(event.decision_id),
                    decision_number=event.number,
                    matter_id=str(event.matter_id),
                    matter_number=event.matter_number,
                    office=event.decided_by,
                    decided_on=event.decided_on,
                    announced_on=event.announced_on,
                    target=decided.target,
                    measures=decided.measures,
                    default_lead_days=self.default_lead_days,
                )
            records = [
                by_service(
                    "execution.open",
                    EXECUTION,
                    execution.id,
                    {"event_id": str(event.event_id), "decision": event.number, "measure": execution.measure},
                )
                for execution in opened
            ]
            if records:
                await uow.repos.audit.append(event.tenant, records)
            await uow.commit()

    # ------------------------------------------------------------------ scheduler

    async def fire_deadlines(self, tenant: str, today: dt.date, batch: int) -> tuple[int, int]:
        """Remind of the deadlines within their lead time and report those passed, in batches of
        ``batch``; each deadline moves once per way by a conditional update in the transaction
        that writes its event to the outbox, so a crash before the commit fires nothing and a
        crash after it fires nothing again. Returns (reminded, missed)."""
        reminded = missed = 0
        while True:
            async with self.uow() as uow:
                due = await uow.repos.executions.claim_to_remind(tenant, today, batch)
                late = await uow.repos.executions.claim_missed(tenant, today, batch)
                if not due and not late:
                    return reminded, missed
                records: list[AuditRecord] = []
                for deadline in due:
                    await uow.repos.executions.move_deadline(deadline, "remind", fired_due_at=utcnow())
                    uow.publish(self._deadline_event(DeadlineDue, deadline))
                    records.append(by_service("deadline.due", DEADLINE, deadline.id, {"on": today.isoformat()}))
                for deadline in late:
                    await uow.repos.executions.move_deadline(deadline, "miss", fired_missed_at=utcnow())
                    uow.publish(self._deadline_event(DeadlineMissed, deadline))
                    records.append(by_service("deadline.missed", DEADLINE, deadline.id, {"on": today.isoformat()}))
                await uow.repos.audit.append(tenant, records)
                await uow.commit()
                reminded += len(due)
                missed += len(late)

    @staticmethod
    def _deadline_event(
        kind: type[DeadlineDue] | type[DeadlineMissed], deadline: Deadline
    ) -> DeadlineDue | DeadlineMissed:
        return kind(
            tenant=deadline.tenant,
            matter_id=uuid.UUID(deadline.matter_id),
            deadline_id=uuid.UUID(deadline.id),
            execution_id=uuid.UUID(deadline.execution_id),
            matter_number=deadline.matter_number,
            office=deadline.office,
            duty=deadline.duty,
            label=deadline.label,
            due_on=deadline.due_on,
            citations=list(deadline.citations),
            interpretations=ReadingApplied.all_from_stored(deadline.interpretations),
        )

    # ------------------------------------------------------------------ API

    async def get(self, principal: Principal, execution_id: str, *, client_address: str | None) -> ExecutionRead:
        async with self.uow() as uow:
            execution, _ = await self._readable(uow, principal, execution_id)
            (read,) = await self._read(uow, principal.tenant, [execution])
            await uow.repos.audit.append(
                principal.tenant,
                [by_caller(principal, client_address, "execution.read", EXECUTION, execution.id)],
            )
            await uow.commit()
            return read

    async def list_executions(
        self,
        principal: Principal,
        *,
        decision_id: str | None,
        matter_id: str | None,
        person_id: str | None,
        state: ExecutionState | None,
        limit: int,
        client_address: str | None,
    ) -> list[ExecutionRead]:
        async with self.uow() as uow:
            executions = await uow.repos.executions.list_visible(
                principal.tenant,
                read_scope(principal),
                decision_id=decision_id,
                matter_id=matter_id,
                person_id=person_id,
                state=state,
                limit=limit,
            )
            read = await self._read(uow, principal.tenant, executions)
            detail = {
                "filters": {
                    "decision_id": decision_id,
                    "matter_id": matter_id,
                    "person_id": person_id,
                    "state": state,
                    "limit": limit,
                },
                "execution_ids": [e.id for e in read],
            }
            await uow.repos.audit.append(
                principal.tenant, [by_caller(principal, client_address, "execution.list", EXECUTION, "*", detail)]
            )
            await uow.commit()
            return read

    async def complete_step(
        self,
        principal: Principal,
        execution_id: str,
        step_code: str,
        data: StepCompletion,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None,
    ) -> dict:
        pack = get_pack(principal.tenant)
        if data.completed_on > pack.today():
            raise invalid(
                "body.completed_on",
                f"{data.completed_on} is after today ({pack.today()}) in {pack.tenant}",
                code="completed_on_in_future",
            )

        async def act(uow: Uow) -> dict:
            execution, access = await self._readable(uow, principal, execution_id)
            steps = await uow.repos.executions.steps([execution.id])
            step = next((s for s in steps if s.code == step_code), None)
            if step is None:
                raise StepNotFound(execution_id, step_code)
            if data.completed_on < execution.decided_on:
                raise invalid(
                    "body.completed_on",
                    f"{data.completed_on} is before the decision of {execution.decided_on}",
                    code="before_decision",
                )
            office = authorise_step(
                principal,
                access,
                step=f"step {step.code} of this execution",
                offices=[o for o in (step.actor, execution.office) if o],
                capability=MATTER_READ,
                assigned=True,
            )
            if execution.state != ExecutionState.OPEN:
                raise self._not_open(execution)
            document_number = None
            if step.numbering is not None:
                # Numbered in the year it is issued, from the tenant's gap-free counter.
                year = data.completed_on.year
                (seq,) = await uow.repos.executions.reserve_numbers(execution.tenant, step.numbering, year)
                document_number = pack.number(step.numbering, year, seq, on=data.completed_on)
            await uow.repos.executions.complete_step(
                step,
                completed_on=data.completed_on,
                completed_by=principal.username,
                completed_office=office,
                note=data.note,
                document_number=document_number,
            )
            deadlines = await uow.repos.executions.deadlines([execution.id])
            remaining = [s for s in steps if s.state != StepState.DONE]
            for deadline in uow.repos.executions.unfinished(deadlines):
                if deadline.duty == step.code or (not remaining and deadline.state != DeadlineState.SUSPENDED):
                    await uow.repos.executions.move_deadline(deadline, "meet", met_on=data.completed_on)
            records = [
                by_caller(
                    principal,
                    client_address,
                    "execution.step.complete",
                    EXECUTION,
                    execution.id,
                    {"step": step.code, "completed_on": data.completed_on.isoformat()},
                )
            ]
            if not remaining:
                await uow.repos.executions.move(execution, "complete")
                uow.publish(
                    ExecutionCompleted(
                        tenant=execution.tenant,
                        matter_id=uuid.UUID(execution.matter_id),
                        execution_id=uuid.UUID(execution.id),
                        decision_id=uuid.UUID(execution.decision_id),
                        matter_number=execution.matter_number,
                        outcome="carried_out",
                    )
                )
            await uow.repos.audit.append(principal.tenant, records)
            (read,) = await self._read(uow, principal.tenant, [execution])
            return read.model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def open_deadlines(
        self, principal: Principal, office: str, limit: int, *, client_address: str | None
    ) -> list[OpenDeadlineRead]:
        """An office's open deadlines, soonest first. Its own office's list for anyone in it;
        any office's for one that oversees the tenant's matters."""
        pack = get_pack(principal.tenant)
        if office not in pack.vocabulary.get("offices", {}) and office not in pack.vocabulary.get("bodies", {}):
            raise invalid(
                "office", f"{office[:60]!r} is not an office or body of {principal.tenant}", code="unknown_office"
            )
        if office != principal.office and MATTER_OVERSEE not in principal.roles:
            raise AnotherOfficesDeadlines(office)
        today = pack.today()
        async with self.uow() as uow:
            deadlines = await uow.repos.executions.open_deadlines_of(principal.tenant, office, limit)
            read = [
                OpenDeadlineRead(
                    **DeadlineRead.model_validate(d).model_dump(),
                    light=light_of(d, today),
                    days_left=(d.due_on - today).days,
                )
                for d in deadlines
            ]
            await uow.repos.audit.append(
                principal.tenant,
                [by_caller(principal, client_address, "deadline.list", DEADLINE, office, {"count": len(read)})],
            )
            await uow.commit()
            return read

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _not_open(execution: Execution) -> Exception:
        return ExecutionStateConflict(
            f"the execution is {execution.state}: steps are completed only while it is open",
            extra={"state": execution.state},
        )

    @staticmethod
    async def _readable(uow: Uow, principal: Principal, execution_id: str) -> tuple[Execution, MatterAccess]:
        execution = await uow.repos.executions.get(principal.tenant, execution_id)
        access = await uow.repos.executions.access(execution) if execution is not None else None
        if execution is None or access is None or not may_read(principal, access):
            raise ExecutionNotFound(execution_id)
        return execution, access

    @staticmethod
    async def _read(uow: Uow, tenant: str, executions: Sequence[Execution]) -> list[ExecutionRead]:
        ids = [e.id for e in executions]
        steps = await uow.repos.executions.steps(ids)
        deadlines = await uow.repos.executions.deadlines(ids)
        effects = await uow.repos.persons.effects_of_decisions(
            tenant, sorted({e.decision_id for e in executions}), sorted({e.person_id for e in executions})
        )
        today = get_pack(tenant).today()
        # Grouped once, so a page of executions costs one pass over what was read, not one per execution.
        steps_of, deadlines_of, effects_of = defaultdict(list), defaultdict(list), defaultdict(list)
        for step in steps:
            steps_of[step.execution_id].append(StepRead.model_validate(step))
        for deadline in deadlines:
            deadlines_of[deadline.execution_id].append(_deadline_read(deadline, today))
        for effect in effects:
            effects_of[effect.decision_id, effect.person_id].append(AfterEffectRead.model_validate(effect))
        result = []
        for execution in executions:
            read = ExecutionRead.model_validate(execution)
            read.steps = steps_of[execution.id]
            read.deadlines = deadlines_of[execution.id]
            read.after_effects = effects_of[execution.decision_id, execution.person_id]
            result.append(read)
        return result


def _deadline_read(deadline: Deadline, today: dt.date) -> ExecutionDeadlineRead:
    """The deadline with the light the office's list would give it, while it is open."""
    read = ExecutionDeadlineRead.model_validate(deadline)
    if deadline.state in OPEN_DEADLINES:
        read.light = light_of(deadline, today)
        read.days_left = (deadline.due_on - today).days
    return read
