"""Turning every service's events into the read model, idempotently.

A batch of events of one kind and one tenant is applied in one transaction with its inbox
records, so a redelivered event changes nothing. Every column an event sets meets the stored
value by a merge rule (``Merge``): the rows end the same whatever order the streams are read
in, which is what lets a rebuild replay them stream by stream and reach the figures the worker
reached.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from wenze.db.base import Base
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
    MatterAccepted,
    MatterReceived,
    MatterRejected,
    MatterRouted,
    NoticeFailed,
    NoticeSent,
    StepRecorded,
    TargetsIdentified,
)
from wenze.events.intake import TargetSnapshot
from wenze.rules import RulePack, get_pack
from wenze_reporting.ledger.models import (
    ReportAppeal,
    ReportDeadline,
    ReportDecision,
    ReportExecution,
    ReportMeasure,
    ReportSlip,
)
from wenze_reporting.ledger.repository import LEVEL, OFFICE, UNIT, LedgerRepository, MatterChange, Merge, merged
from wenze_reporting.progress.service import ProgressProjection
from wenze_reporting.repositories import ReportingRepositories, ReportingUnitOfWorkFactory


def target_level(target: TargetSnapshot) -> str | None:
    return target.cadre_level or target.org_level


def access_facts(matter_id: str, targets: Sequence[TargetSnapshot], offices: Sequence[str | None] = ()):
    facts = [(matter_id, OFFICE, office) for office in offices if office]
    for target in targets:
        facts += [(matter_id, LEVEL, level) for level in (target.cadre_level, target.org_level) if level]
        if target.unit:
            facts.append((matter_id, UNIT, target.unit))
    return facts


class LedgerService:
    def __init__(self, uow: ReportingUnitOfWorkFactory, *, packs: Callable[[str], RulePack] = get_pack):
        self.uow = uow
        self.packs = packs
        self.progress = ProgressProjection()

    async def apply(self, consumer: str, events: Sequence[Event]) -> int:
        """Apply ``events`` (one tenant's, of the kind ``consumer`` reads) in one transaction;
        those this consumer has applied before are skipped. Returns how many were new."""
        if not events:
            return 0
        async with self.uow() as uow:
            seen = await uow.repos.inbox.seen_many([str(e.event_id) for e in events], consumer)
            fresh: dict[str, Event] = {}
            for event in events:
                if str(event.event_id) not in seen:
                    fresh.setdefault(str(event.event_id), event)
            if not fresh:
                return 0
            by_tenant: dict[str, list[Event]] = {}
            for event in fresh.values():
                by_tenant.setdefault(event.tenant, []).append(event)
            for tenant, group in by_tenant.items():
                await self._project(uow.repos, tenant, group)
            for event_id, event in fresh.items():
                uow.repos.inbox.record(event_id, consumer, event.subject)
            await uow.commit()
            return len(fresh)

    async def _project(self, repos: ReportingRepositories, tenant: str, events: list[Event]) -> None:
        pack = self.packs(tenant)
        ledger = repos.ledger
        changes: dict[str, MatterChange] = {}
        facts: list[tuple[str, str, str]] = []
        rows: dict[type[Base], list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            change = changes.setdefault(str(event.matter_id), MatterChange())
            facts += await self._one(ledger, pack, change, event, rows)
        matters = await ledger.merge_matters(tenant, changes)
        # A slip carries its matter's decision date as the batch leaves it.
        for slip in rows.get(ReportSlip, []):
            slip["decided_on"] = matters[slip["matter_id"]].decided_on
        # Slips, decisions and measures of the whole batch in one statement each.
        for model, new in rows.items():
            await ledger.add_new(model, new)
        decided = {str(e.matter_id) for e in events if isinstance(e, DecisionMade)}
        await ledger.slips_decided(tenant, {m: day for m in decided if (day := matters[m].decided_on) is not None})
        await ledger.note_access(tenant, facts)
        await self.progress.project(repos.progress, pack, tenant, events, matters)

    async def _one(
        self,
        ledger: LedgerRepository,
        pack: RulePack,
        matter: MatterChange,
        event: Event,
        rows: dict[type[Base], list[dict[str, Any]]],
    ) -> list[tuple[str, str, str]]:
        """Project one event onto what the batch sets on its matter, and onto its own rows;
        returns the access facts it adds."""
        matter_id = str(event.matter_id)
        local = pack.local_date(event.occurred_at)
        match event:
            case MatterReceived():
                _describe(matter, event.number, event.summary, event.targets)
                matter.set("source", Merge.REPLACE, event.source)
                # The acceptance may change both: what it says wins, whichever comes first.
                matter.set("proposed_form", Merge.FILL, event.proposed_form)
                matter.set("key_supervised", Merge.FILL, event.key_supervised)
                matter.set("received_on", Merge.EARLIEST, local)
                return access_facts(matter_id, event.targets)
            case MatterAccepted():
                _describe(matter, event.number, event.summary, event.targets)
                matter.set("source", Merge.FILL, event.source)
                matter.set("proposed_form", Merge.REPLACE, event.proposed_form)
                matter.set("key_supervised", Merge.REPLACE, event.key_supervised)
                matter.set("accepted_on", Merge.EARLIEST, event.study_date)
                return access_facts(matter_id, event.targets)
            case MatterRejected():
                matter.set("number", Merge.FILL, event.number)
                matter.set("rejected_on", Merge.EARLIEST, event.study_date)
                matter.set("rejection", Merge.REPLACE, event.outcome)
                return []
            case MatterRouted():
                _describe(matter, event.matter_number, event.summary, event.targets, replace=False)
                matter.set("routed_on", Merge.EARLIEST, local)
                rows[ReportSlip].append(
                    {
                        "tenant": event.tenant,
                        "id": str(event.slip_id),
                        "matter_id": matter_id,
                        "number": event.slip_number,
                        "handler": event.handler,
                        "fixed_by": event.fixed_by,
                        "routed_on": local,
                    }
                )
                offices = [event.handler, *event.cc, event.investigated_by, *event.investigated_with]
                return access_facts(matter_id, event.targets, offices)
            case ConsultationRequested():
                _describe(matter, event.matter_number, event.summary, event.targets, replace=False)
                matter.set("consultation_requested_on", Merge.EARLIEST, local)
                return access_facts(matter_id, event.targets, [event.lead, *event.participants])
            case ConsultationConcluded():
                matter.set("consultation_concluded_on", Merge.EARLIEST, local)
                return access_facts(matter_id, [], [event.handler])
            case TargetsIdentified():
                matter.set("identified_targets", Merge.UNION, [t.model_dump(mode="json") for t in event.targets])
                return access_facts(matter_id, event.targets)
            case DecisionMade():
                return self._decision(matter, event, rows)
            case ExecutionOpened() | ExecutionCompleted():
                await self._execution(ledger, matter_id, event, local)
                return access_facts(matter_id, [], [event.office] if isinstance(event, ExecutionOpened) else [])
            case DeadlineDue() | DeadlineMissed():
                await self._deadline(ledger, matter_id, event)
                return access_facts(matter_id, [], [event.office])
            case AppealFiled() | AppealDecided():
                await self._appeal(ledger, matter_id, event)
                return access_facts(matter_id, [], [event.heard_by] if isinstance(event, AppealFiled) else [])
            case StepRecorded():
                return access_facts(matter_id, [], [event.office])
            case NoticeSent() | NoticeFailed():
                # Only the matter's timeline tells of notices: they move no figure.
                return []
        raise TypeError(f"reporting has no projection of {type(event).__name__}")

    def _decision(
        self, matter: MatterChange, event: DecisionMade, rows: dict[type[Base], list[dict[str, Any]]]
    ) -> list[tuple[str, str, str]]:
        matter_id = str(event.matter_id)
        matter.set("number", Merge.FILL, event.matter_number)
        matter.set("decided_on", Merge.EARLIEST, event.decided_on)
        decision_id = str(event.decision_id)
        rows[ReportDecision].append(
            {
                "tenant": event.tenant,
                "id": decision_id,
                "matter_id": matter_id,
                "number": event.number,
                "matter_number": event.matter_number,
                "decided_by": event.decided_by,
                "decided_on": event.decided_on,
                "simplified_procedure": event.simplified_procedure,
                "measures": [m.model_dump(mode="json") for m in event.measures],
                "citations": list(event.citations),
            }
        )
        rows[ReportMeasure] += [
            {
                "tenant": event.tenant,
                "decision_id": decision_id,
                "target_index": index,
                "measure": measure,
                "matter_id": matter_id,
                "decided_on": event.decided_on,
                "target_kind": decided.target.kind,
                "level": target_level(decided.target),
                "unit": decided.target.unit,
            }
            for index, decided in enumerate(event.measures)
            for measure in dict.fromkeys(decided.measures)
        ]
        return access_facts(matter_id, [m.target for m in event.measures], [event.decided_by])

    async def _execution(
        self,
        ledger: LedgerRepository,
        matter_id: str,
        event: ExecutionOpened | ExecutionCompleted,
        local: dt.date,
    ) -> None:
        execution_id = str(event.execution_id)
        await ledger.add_new(
            ReportExecution,
            [
                {
                    "tenant": event.tenant,
                    "id": execution_id,
                    "matter_id": matter_id,
                    "decision_id": str(event.decision_id),
                }
            ],
        )
        row = (await ledger.executions(event.tenant, [execution_id]))[execution_id]
        if isinstance(event, ExecutionOpened):
            row.measure = event.measure
            row.office = event.office
            row.opened_on = merged(Merge.EARLIEST, row.opened_on, local)
        else:
            row.completed_on = merged(Merge.EARLIEST, row.completed_on, local)
            row.outcome = event.outcome

    async def _deadline(self, ledger: LedgerRepository, matter_id: str, event: DeadlineDue | DeadlineMissed) -> None:
        deadline_id = str(event.deadline_id)
        await ledger.add_new(
            ReportDeadline,
            [
                {
                    "tenant": event.tenant,
                    "id": deadline_id,
                    "matter_id": matter_id,
                    "matter_number": event.matter_number,
                    "office": event.office,
                    "duty": event.duty,
                    "label": event.label,
                    "due_on": event.due_on,
                    "due_notified": False,
                    "missed": False,
                    "citations": list(event.citations),
                }
            ],
        )
        row: ReportDeadline = (await ledger.deadlines(event.tenant, [deadline_id]))[deadline_id]
        if isinstance(event, DeadlineMissed):
            row.missed = True
        else:
            row.due_notified = True

    async def _appeal(self, ledger: LedgerRepository, matter_id: str, event: AppealFiled | AppealDecided) -> None:
        appeal_id = str(event.appeal_id)
        await ledger.add_new(
            ReportAppeal,
            [{"tenant": event.tenant, "id": appeal_id, "matter_id": matter_id, "decision_id": str(event.decision_id)}],
        )
        row = (await ledger.appeals(event.tenant, [appeal_id]))[appeal_id]
        if isinstance(event, AppealFiled):
            row.filed_on = merged(Merge.EARLIEST, row.filed_on, event.filed_on)
        else:
            row.decided_on = merged(Merge.EARLIEST, row.decided_on, event.decided_on)
            row.outcome = event.outcome


def _describe(
    matter: MatterChange, number: str, summary: str, targets: Sequence[TargetSnapshot], *, replace: bool = True
) -> None:
    """What intake says of the matter wins; routing's copy fills what is still unknown."""
    matter.set("number", Merge.REPLACE if replace else Merge.FILL, number)
    matter.set("summary", Merge.REPLACE if replace else Merge.FILL, summary)
    matter.set("targets", Merge.REPLACE if replace else Merge.FILL_EMPTY, [t.model_dump(mode="json") for t in targets])
