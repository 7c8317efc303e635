"""Counting decisions per organisation and opening the matters the counts require.

Some rules look at the decisions made in one place over a period rather than at one matter:
Hubei's 一案双查 (第十条（四）、（五）) requires pursuing the party committee's main and the
commission's supervisory responsibility once two leading-group members of one organisation
have lost their party posts or worse in a year, or three major cases have occurred there.
A pack binds such a decision under ``counted_triggers``; this service, fed by review's
``decision.made``:

1. counts each target of the decision under its organisation (the party sanction, whether
   the target is on the leading group, whether the case is major), once per decision and target;
2. for each organisation the decision touches and each binding, evaluates the pack's decision
   over what is counted in the binding's window (``wenze.rules.counting``);
3. where it holds, records a firing per trigger that has not fired for that organisation
   and window, and registers and accepts the matter the binding names, linked to the
   decisions counted, with the articles cited.

Everything happens in one transaction with the inbox record, so a redelivered event changes
nothing; the firing's key in the database, not this process, makes a trigger fire once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any, Final

import structlog

from wenze.db.audit import AuditRecord
from wenze.events import DecisionMade
from wenze.rules import RulePack, get_pack
from wenze.rules.compiled import CountedTrigger
from wenze.rules.counting import CountedRecord, window_of
from wenze.rules.errors import RulesError
from wenze.rules.period import Period
from wenze.rules.readings import readings_in_force
from wenze_intake.audit import by_system
from wenze_intake.counted_triggers.models import ORGANISATION_LENGTH, CountedDecision
from wenze_intake.matters.schemas import MatterCreate, OrganisationTarget
from wenze_intake.matters.service import MatterService
from wenze_intake.repositories import IntakeUnitOfWork, IntakeUnitOfWorkFactory

log = structlog.get_logger(__name__)

# The inbox's consumer name, and the durable consumer's.
CONSUMER: Final = "intake-decision-counted"
# How much of a target's name the opened matter's target takes (OrganisationTarget.name).
_NAME_LENGTH = 200


def counted_rows(event: DecisionMade) -> list[dict[str, Any]]:
    """The rows ``event`` adds to the counts: one per target naming an organisation."""
    rows = []
    for index, decided in enumerate(event.measures):
        organisation = (decided.organisation or decided.target.unit or "").strip()
        if not organisation or len(organisation) > ORGANISATION_LENGTH:
            continue
        rows.append(
            {
                "tenant": event.tenant,
                "decision_id": str(event.decision_id),
                "target_index": index,
                "decision_number": event.number,
                "matter_id": str(event.matter_id),
                "matter_number": event.matter_number,
                "organisation": organisation,
                "decided_on": event.decided_on,
                "party_sanction": decided.party_sanction,
                "leading_group_member": decided.leading_group_member,
                "major_case": event.major_case,
            }
        )
    return rows


def _decisions_of(counted: Iterable[CountedDecision]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for c in counted:
        seen.setdefault(
            c.decision_id,
            {
                "decision_id": c.decision_id,
                "decision_number": c.decision_number,
                "matter_id": c.matter_id,
                "matter_number": c.matter_number,
                "decided_on": c.decided_on.isoformat(),
            },
        )
    return list(seen.values())


class CountedTriggerService:
    def __init__(self, uow: IntakeUnitOfWorkFactory, matters: MatterService):
        self.uow = uow
        self.matters = matters

    async def count(self, event: DecisionMade) -> None:
        pack = get_pack(event.tenant)
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER):
                return
            uow.repos.inbox.record(str(event.event_id), CONSUMER, event.subject)
            rows = counted_rows(event)
            organisations = sorted({row["organisation"] for row in rows})
            repo = uow.repos.counted_triggers
            # In one order, so two decisions naming the same organisations never wait crosswise.
            for organisation in organisations:
                await repo.lock_organisation(event.tenant, organisation)
            await repo.count(rows)
            audit: list[AuditRecord] = []
            for organisation in organisations:
                for binding in pack.counted_triggers:
                    audit.extend(await self._assess(uow, pack, binding, organisation, event))
            if audit:
                await uow.repos.audit.append(event.tenant, audit)
            await uow.commit()

    async def _assess(
        self, uow: IntakeUnitOfWork, pack: RulePack, binding: CountedTrigger, organisation: str, event: DecisionMade
    ) -> list[AuditRecord]:
        """Evaluate ``binding`` for ``organisation`` in the window of ``event``'s date; open its
        matter for the triggers that hold and have not fired yet. The audit entries of what it did."""
        repo = uow.repos.counted_triggers
        # The readings of the pack's interpretation points the tenant chose for the decision's
        # date (the window may be one of them); the pack's defaults where it chose none.
        readings = readings_in_force(await uow.repos.interpretations.choices(event.tenant), event.decided_on)
        window = window_of(binding, event.decided_on, pack.window_kind(binding, readings))
        assert window.start is not None and window.end is not None
        counted = await repo.counted_in(event.tenant, organisation, window.start, window.end)
        records = [
            CountedRecord(c.decision_id, c.decided_on, c.party_sanction, c.leading_group_member, c.major_case)
            for c in counted
        ]
        try:
            evaluation = pack.evaluate_counted(binding, event.decided_on, records, readings)
        except RulesError as exc:
            # No rule in force on the decision's date (or a pack that cannot answer): nothing
            # fires, and the counts stay for the next decision.
            log.warning(
                "counted trigger not evaluated", tenant=event.tenant, decision=binding.decision, error=str(exc)[:300]
            )
            return []
        if evaluation.outcome.get(binding.fires_when) is not True:
            return []
        held = list(evaluation.outcome.get(binding.triggers_output) or [])
        fired = {
            f.trigger
            for f in await repo.firings_in(event.tenant, organisation, binding.decision, window.start, window.end)
        }
        fresh = [trigger for trigger in held if trigger not in fired]
        if not fresh:
            return []
        decisions = _decisions_of(counted)
        citations = [c.text for c in evaluation.citations]
        interpretations = [
            {"point": i.point, "reading": i.reading, "label": i.label, "default": i.default}
            for i in evaluation.interpretations
        ]
        item = self._matter(
            pack, binding, organisation, window, fresh, decisions, citations, interpretations, event.decided_on
        )
        detail = {
            "decision": binding.decision,
            "organisation": organisation,
            "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
            "triggers": fresh,
            "decisions": decisions,
            "citations": citations,
            "interpretations": interpretations,
        }
        matter = await self.matters.open_by_rule(uow, event.tenant, item, reason="；".join(citations), detail=detail)
        claimed = await repo.claim(
            [
                {
                    "tenant": event.tenant,
                    "organisation": organisation,
                    "decision": binding.decision,
                    "window_start": window.start,
                    "trigger": trigger,
                    "window_end": window.end,
                    "fired_on": event.decided_on,
                    "matter_id": matter.id,
                    "counted": decisions,
                    "citations": citations,
                }
                for trigger in fresh
            ]
        )
        if claimed != set(fresh):
            # Only under the organisation's lock are firings added, so what was not fired a
            # moment ago cannot have fired since; if it has, the matter must not stand.
            raise RuntimeError(f"{event.tenant}: {sorted(set(fresh) - claimed)} fired meanwhile for one organisation")
        return [
            by_system(
                "matter.open_by_rule",
                "matter",
                matter.id,
                number=matter.number,
                event=event.subject,
                event_id=str(event.event_id),
                **detail,
            )
        ]

    @staticmethod
    def _matter(
        pack: RulePack,
        binding: CountedTrigger,
        organisation: str,
        window: Period,
        triggers: list[str],
        decisions: list[dict[str, str]],
        citations: list[str],
        interpretations: list[dict[str, Any]],
        on: dt.date,
    ) -> MatterCreate:
        assert window.start is not None and window.end is not None
        last_day = window.end - dt.timedelta(days=1)
        labels = "；".join(pack.label(_triggers_vocabulary(pack, binding), t) for t in triggers)
        listed = "；".join(f"{d['decision_number']}（事项 {d['matter_number']}，{d['decided_on']}）" for d in decisions)
        facts = (
            f"平台统计：{organisation}在{window.start.isoformat()}至{last_day.isoformat()}期间作出的问责决定，"
            f"符合以下情形：{labels}。\n据以统计的决定：{listed}。\n依据：{'；'.join(citations)}。"
        )
        if interpretations:
            # The reading the outcome depended on, as the explanation names it beside the articles.
            read = "；".join(
                f"{i['point']}：{i['label']}（{'默认' if i['default'] else '本单位选择'}，{i['reading']}）"
                for i in interpretations
            )
            facts += f"\n解释要点：{read}。"
        digest = hashlib.sha256(organisation.encode()).hexdigest()[:16]
        return MatterCreate(
            source=binding.source,
            source_reference=f"{binding.decision}/{window.start.isoformat()}/{'+'.join(triggers)}/{digest}",
            summary=f"{binding.summary}（{organisation}）",
            facts=facts,
            targets=[
                OrganisationTarget(
                    kind="organisation",
                    name=target["name"].replace("{organisation}", organisation)[:_NAME_LENGTH],
                    sector=target.get("sector"),
                    org_level=target.get("org_level"),
                )
                for target in binding.targets
            ],
            relevant_date=on,
        )


def _triggers_vocabulary(pack: RulePack, binding: CountedTrigger) -> str:
    spec = pack.decision(binding.decision).outputs[binding.triggers_output]
    return spec.vocab or ""
