"""Routing (分办): turn an accepted matter into numbered routing slips by the tenant's pack.

The pack's ``routing`` workflow step decides everything (docs/workflow.md); this module only
gathers the facts, asks the pack which procedure (and so which workflow) the matter follows,
stores that procedure's routing outcome with its citations and announces it. A slip the rules
cannot route (no automatic handler, or facts the pack cannot decide on) waits for an office
holding ``routing:override`` instead of blocking the event stream.

Who reads a slip and who may force its routing follows ``wenze.auth.access`` with the slip's
parties and targets (``wenze_routing.slips.access``); every change and every read of a slip
is written to the audit log in the transaction that makes it (ADR 0014).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wenze.auth import Principal
from wenze.auth.access import MatterAccess, authorise_step, may_read, read_scope
from wenze.auth.capabilities import ROUTING_OVERRIDE
from wenze.calendar import WorkingCalendar
from wenze.db import UnitOfWork, UnitOfWorkFactory, utcnow
from wenze.db.audit import AuditRecord
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events import (
    ConsultationConcluded,
    ConsultationRequested,
    MatterAccepted,
    MatterRouted,
    RuleStep,
    SlipOverride,
    TargetsIdentified,
    TargetSnapshot,
)
from wenze.problems import invalid
from wenze.rules import Evaluation, ProcedureChoice, RulePack, RulesError, get_pack
from wenze.rules.facts import matter_facts, target_facts, whole_matter_facts
from wenze.rules.readings import ReadingChoice, interpretations_explained, readings_in_force
from wenze_routing.audit import audit_at_commit, by_caller, by_routing
from wenze_routing.calendar.service import CalendarService
from wenze_routing.repositories import RoutingRepositories
from wenze_routing.slips.access import codes, slip_access
from wenze_routing.slips.errors import SlipNotFound, SlipStateConflict
from wenze_routing.slips.models import SLIPS, NewSlip, RoutingSlip, SlipState
from wenze_routing.slips.repository import SLIP_NUMBERING, concerning
from wenze_routing.slips.schemas import SlipEventRead, SlipRead

CONSUMER_ACCEPTED = "routing-accepted"
CONSUMER_CONCLUDED = "routing-consultation-concluded"
CONSUMER_IDENTIFIED = "routing-targets-identified"
# Matters evaluated between two yields to the event loop while a batch is routed.
YIELD_EVERY = 50

SYSTEM = "system"
SLIP = "slip"

Uow = UnitOfWork[RoutingRepositories]


@dataclass(frozen=True)
class Judged:
    """One evaluation of a routing step: the facts it was given and its answer, or the rules'
    error where the pack could not answer."""

    facts: dict[str, Any]
    evaluation: Evaluation | None
    error: dict | None

    @property
    def outcome(self) -> dict[str, Any]:
        return self.evaluation.outcome if self.evaluation else {}

    def detail(self) -> dict[str, Any]:
        """As the slip's timeline shows it."""
        detail: dict[str, Any] = {"facts": self.facts, "outcome": self.outcome}
        if self.evaluation is not None:
            detail["fired"] = self.evaluation.fired
            detail["citations"] = [c.text for c in self.evaluation.citations]
        if self.error is not None:
            detail["rules_error"] = self.error
        return detail


# A slip's targets, and the whole matter's evaluation where it decides their routing.
Group = tuple[list[TargetSnapshot], Judged | None]


def _label(pack: RulePack, code: str) -> str:
    for vocab in ("offices", "bodies"):
        if code in pack.vocabulary.get(vocab, {}):
            return pack.label(vocab, code)
    return code


def _steps(raw: Sequence[dict[str, Any]] | None) -> list[RuleStep]:
    return [
        RuleStep(step=str(s["step"]), actor=s.get("actor"), joined_by=list(s.get("with", [])), action=s.get("action"))
        for s in raw or []
    ]


def choose_procedure(pack: RulePack, facts: dict[str, Any], on: dt.date) -> tuple[ProcedureChoice | None, dict | None]:
    """The procedure the matter follows (by its intake source, or the pack's selecting
    decision), or why the pack cannot say: the slip then waits for an override."""
    try:
        return pack.select_procedure(facts, on), None
    except RulesError as exc:
        return None, exc.to_dict()


def evaluate_step(
    pack: RulePack,
    calendar: WorkingCalendar | None,
    step: str,
    facts: dict[str, Any],
    on: dt.date,
    procedure: str | None,
    readings: Mapping[str, str],
) -> tuple[Evaluation | None, dict | None]:
    """A step (``routing``, ``matter_routing``) of ``procedure``'s workflow for ``facts``, or the
    error it gave; ``readings``: the tenant's chosen readings of interpretation points in force
    on ``on`` (no routing decision names a point today; one that does reads them)."""
    decision = pack.workflow_decision(step, procedure)
    if decision is None:
        which = f" for procedure {procedure!r}" if procedure else ""
        return None, {"code": f"no_{step}_step", "message": f"{pack.tenant}'s pack binds no {step} decision{which}"}
    try:
        return pack.evaluate(decision, facts, on=on, calendar=calendar, readings=readings), None
    except RulesError as exc:
        return None, exc.to_dict()


def evaluate_routing(
    pack: RulePack,
    calendar: WorkingCalendar | None,
    facts: dict[str, Any],
    on: dt.date,
    procedure: str | None,
    readings: Mapping[str, str],
) -> tuple[Evaluation | None, dict | None]:
    """The routing step of ``procedure``'s workflow for ``facts``, or the error it gave."""
    return evaluate_step(pack, calendar, "routing", facts, on, procedure, readings)


def _choice_explained(pack: RulePack, choice: ProcedureChoice, facts: dict[str, Any]) -> dict[str, Any]:
    """The procedure choice as an entry of the slip's explanation, beside the fired rules."""
    return {
        "table": "procedure",
        "rule": pack.procedure_selection or "procedure_of_intake_source",
        "description": "事项所适用的办理程序（据此确定办理流程）",
        "facts": {"source": facts.get("source")},
        "outputs": {"procedure": choice.procedure},
        "citations": [c.model_dump(mode="json") for c in choice.citations],
    }


def routing_opinion(pack: RulePack, outcome: dict[str, Any], state: SlipState) -> str:
    """The routing opinion (分办意见) written on the slip, in the tenant's own office names."""
    names = lambda codes: "、".join(_label(pack, c) for c in codes)  # noqa: E731
    if state == SlipState.IN_CONSULTATION:
        lead = outcome.get("consultation_lead")
        opinion = f"由{_label(pack, lead)}牵头会商" if lead else "会商"
        opinion += f"（{names(codes(outcome.get('consultation_participants')))}）后确定承办部门"
        if outcome.get("handler_candidates"):
            opinion += f"，候选：{names(outcome['handler_candidates'])}"
        return opinion
    if outcome.get("investigated_by") and not outcome.get("handler"):
        team = codes(outcome.get("investigated_by")) + codes(outcome.get("investigated_with"))
        opinion = f"由{names(team)}调查核实"
        if outcome.get("reclassify_after_investigation"):
            opinion += "，明确问责对象后再分类分办"
        return opinion
    if outcome.get("handler"):
        opinion = f"拟由{_label(pack, outcome['handler'])}办理"
        if outcome.get("cc"):
            opinion += f"，抄送{names(outcome['cc'])}"
        return opinion
    return "规则未能确定承办部门，待有权部门指定"


@dataclass(frozen=True)
class Ruling:
    """What a slip stores of the rules' answer: the columns the rules decide and the detail of
    its ``opened`` entry. The same for every slip judged on the same facts under the same
    procedure choice, date and readings, which share it: neither is changed once made (a slip
    that adds to the detail adds to a copy)."""

    judged: Judged
    columns: dict[str, Any]
    detail: dict[str, Any]

    @property
    def state(self) -> SlipState:
        return SlipState(self.columns["state"])


def rule_on(
    pack: RulePack, choice: tuple[ProcedureChoice | None, dict | None], judged: Judged, *, whole_matter: bool = False
) -> Ruling:
    """The slip's columns that the rules decide (its state, procedure, facts, outcome,
    explanation with citations, opinion and handler) and its ``opened`` entry's detail.
    ``choice``: the procedure the matter follows, or why the pack could not choose one;
    ``judged``: the routing of the slip's targets, their own or, ``whole_matter``, the whole
    matter's where that routes them all."""
    procedure_choice = choice[0]
    procedure = procedure_choice.procedure if procedure_choice else None
    facts, evaluation, outcome = judged.facts, judged.evaluation, judged.outcome
    # The choice is explained where the pack made one (several procedures); a pack with one
    # workflow has nothing to explain.
    explanation = (
        [_choice_explained(pack, procedure_choice, facts)] if procedure_choice and procedure_choice.citations else []
    )
    explanation += [f.model_dump(mode="json") for f in evaluation.explanation] if evaluation else []
    explanation += interpretations_explained(evaluation)
    citations = [c.text for c in procedure_choice.citations] if procedure_choice else []
    citations += [c.text for c in evaluation.citations] if evaluation else []
    if outcome.get("consultation_required"):
        state = SlipState.IN_CONSULTATION
    elif outcome.get("handler") or outcome.get("investigated_by"):
        state = SlipState.ROUTED
    else:
        state = SlipState.AWAITING_HANDLER
    routed = state == SlipState.ROUTED
    # A new slip starts in the state the rules give it; every later change is a move.
    columns = {
        "state": state,
        "procedure": procedure,
        "rule_facts": facts,
        "outcome": outcome,
        "explanation": explanation,
        "citations": list(dict.fromkeys(citations)),
        "opinion": routing_opinion(pack, outcome, state),
        "handler": outcome.get("handler") if routed else None,
        "cc": codes(outcome.get("cc")),
        "fixed_by": "rules" if routed else None,
    }
    detail: dict[str, Any] = {"facts": facts, "procedure": procedure, "outcome": outcome}
    if whole_matter:
        detail["routed_as"] = "whole_matter"
    if judged.error is not None:
        detail["rules_error"] = judged.error
    return Ruling(judged, columns, detail)


def _frozen(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """Facts or readings as a key, in their order and with their types (``True`` is not ``1``):
    two keys are equal only where the mappings are."""
    return tuple((k, v.__class__, tuple(v) if v.__class__ is list else v) for k, v in values.items())


class BatchRulings:
    """The rules' answers within one routed batch, each worked out once per distinct question.

    Choosing a procedure, evaluating a step and turning the answer into a slip's columns are
    functions of the pack and its calendar (one of each per tenant in a batch), the facts, the
    relevant date, the procedure and the readings in force, and of nothing else; the keys are
    exactly those. A bulk import's thousands of matters ask a few dozen distinct questions, so
    the batch evaluates, explains and dumps each once and its slips share the answer (read only:
    nothing changes a ruling once made)."""

    def __init__(self) -> None:
        self._choices: dict[tuple[Any, ...], tuple[ProcedureChoice | None, dict | None]] = {}
        self._judged: dict[tuple[Any, ...], Judged] = {}
        # By the identity of the choice and the judgement, which the entry keeps alive so that
        # no other object takes their ids while the batch runs.
        self._rulings: dict[tuple[int, int, bool], tuple[object, Judged, Ruling]] = {}

    def choice(self, pack: RulePack, facts: dict[str, Any], on: dt.date) -> tuple[ProcedureChoice | None, dict | None]:
        key = (pack.tenant, _frozen(facts), on)
        found = self._choices.get(key)
        if found is None:
            found = self._choices[key] = choose_procedure(pack, facts, on)
        return found

    def judge(
        self,
        pack: RulePack,
        calendar: WorkingCalendar | None,
        step: str,
        facts: dict[str, Any],
        on: dt.date,
        procedure: str | None,
        readings: Mapping[str, str],
    ) -> Judged:
        key = (pack.tenant, step, procedure, _frozen(facts), on, tuple(sorted(readings.items())))
        found = self._judged.get(key)
        if found is None:
            found = self._judged[key] = Judged(
                facts, *evaluate_step(pack, calendar, step, facts, on, procedure, readings)
            )
        return found

    def ruling(
        self,
        pack: RulePack,
        choice: tuple[ProcedureChoice | None, dict | None],
        judged: Judged,
        *,
        whole_matter: bool = False,
    ) -> Ruling:
        key = (id(choice), id(judged), whole_matter)
        found = self._rulings.get(key)
        if found is None:
            found = self._rulings[key] = (choice, judged, rule_on(pack, choice, judged, whole_matter=whole_matter))
        return found[2]


# A slip a routed batch opens: its targets, the rules' ruling on them, and whether that is the
# whole matter's.
Opening = tuple[list[TargetSnapshot], Ruling, bool]


class RoutingService:
    def __init__(self, uow: UnitOfWorkFactory[RoutingRepositories], calendars: CalendarService):
        self.uow = uow
        self.calendars = calendars

    # ------------------------------------------------------------------ consumers

    async def route_accepted(self, event: MatterAccepted) -> None:
        await self.route_accepted_batch([event])

    async def route_accepted_batch(self, events: Sequence[MatterAccepted]) -> None:
        """Route a fetched batch of accepted matters (one tenant's: the consumer splits a fetch
        by tenant, so the transaction's ``wenze.tenant`` covers every row) in one transaction:
        one inbox statement, one counter update per year, multi-row inserts of the slips, their
        timeline entries, access rows, audit entries and outbox rows, one commit. The packs are
        evaluated in Python, once per distinct question the batch asks (``BatchRulings``), and
        the slips are written as plain rows (``NewSlip``), not ORM objects. Slips are numbered in
        event order, in the year they are issued in; if anything fails the whole batch rolls
        back (numbers included) and the consumer retries event by event (ADR 0041)."""
        now = utcnow()
        async with self.uow() as uow:
            # Checked and recorded in one statement: one round trip fewer on every batch.
            new = await uow.repos.inbox.claim_many(CONSUMER_ACCEPTED, [(str(e.event_id), e.subject) for e in events])
            # Each matter with the slips it is routed on: their targets, the rules' ruling, and
            # the whole matter's judgement where it was weighed.
            todo: list[tuple[MatterAccepted, RulePack, dt.date, list[Opening], Judged | None]] = []
            rulings = BatchRulings()
            packs: dict[str, RulePack] = {}
            calendars: dict[str, WorkingCalendar] = {}
            choices: dict[str, list[ReadingChoice]] = {}
            for index, event in enumerate(events):
                if index and index % YIELD_EVERY == 0:
                    # The packs are evaluated on the event loop: let the relay and the other
                    # consumers of this worker run between slices of a large batch.
                    await asyncio.sleep(0)
                if str(event.event_id) not in new:
                    continue
                new.discard(str(event.event_id))  # the same event twice in one batch opens one slip
                # Looked up once per tenant: ``get_pack`` reads the environment on every call.
                pack = packs.get(event.tenant) or packs.setdefault(event.tenant, get_pack(event.tenant))
                if pack.tenant not in calendars:
                    calendars[pack.tenant] = await self.calendars.for_tenant(uow, pack.tenant)
                calendar = calendars[pack.tenant]
                if pack.tenant not in choices:
                    choices[pack.tenant] = await uow.repos.interpretations.reading_choices(pack.tenant)
                readings = readings_in_force(choices[pack.tenant], event.relevant_date)
                facts = matter_facts(event.source, event.key_supervised, event.proposed_form, list(event.targets))
                choice = rulings.choice(pack, facts, event.relevant_date)
                procedure = choice[0].procedure if choice[0] else None
                # The whole matter first, where its procedure's workflow asks (附件2 第六条).
                whole = (
                    self._judge_whole_matter(rulings, pack, calendar, event, facts, procedure, readings)
                    if choice[1] is None
                    else None
                )
                slips: list[Opening] = []
                for group, decides in self._groups(pack, event, whole, procedure):
                    judged = (
                        decides
                        if decides is not None
                        else self._judge_targets(rulings, pack, calendar, event, facts, group, choice, readings)
                    )
                    whole_matter = decides is not None
                    slips.append((group, rulings.ruling(pack, choice, judged, whole_matter=whole_matter), whole_matter))
                todo.append((event, pack, pack.local_date(now), slips, whole))
            if not todo:
                await uow.commit()
                return
            # Numbers are reserved per (tenant, year) in one update and handed out in event order.
            needed: dict[tuple[str, int], int] = {}
            for _, pack, issued_on, slips, _ in todo:
                key = (pack.tenant, issued_on.year)
                needed[key] = needed.get(key, 0) + len(slips)
            next_seq: dict[tuple[str, int], int] = {}
            for (tenant, year), count in needed.items():
                next_seq[(tenant, year)] = (await uow.repos.slips.reserve_numbers(tenant, year, count)).start
            opened: list[tuple[NewSlip, dict]] = []
            for event, pack, issued_on, slips, whole in todo:
                key = (pack.tenant, issued_on.year)
                for group, ruling, whole_matter in slips:
                    slip = self._new_slip(pack, event, group, next_seq[key], issued_on, ruling)
                    detail = ruling.detail
                    if whole is not None and not whole_matter:
                        # Weighed first and found not to decide: shown beside the target's own routing.
                        detail = {**detail, "matter_routing": whole.detail()}
                    opened.append((slip, detail))
                    next_seq[key] += 1
            # Slips, timeline, access rows and audit entries are written with the outbox rows, in
            # one statement at the commit (``wenze.db.together``).
            uow.repos.slips.stage_opened(opened, SYSTEM)
            uow.repos.slips.stage_grants([(slip, slip_access(slip, packs[slip.tenant])) for slip, _ in opened])
            for slip, _ in opened:
                self._publish_opened(uow, slip)
            by_event = {str(event.matter_id): event for event, *_ in todo}
            audit_at_commit(
                uow, [(slip.tenant, _opened(slip, by_event[slip.matter_id].event_id)) for slip, _ in opened]
            )
            await uow.commit()

    async def conclude_consultation(self, event: ConsultationConcluded) -> None:
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_CONCLUDED):
                return
            uow.repos.inbox.record(str(event.event_id), CONSUMER_CONCLUDED, event.subject)
            slip = await uow.repos.slips.get(event.tenant, str(event.slip_id))
            # Overridden meanwhile (before or at the same moment), or not ours: the
            # consultation no longer decides, and the event is done with.
            if slip is not None and SLIPS.allows("conclude_consultation", slip.state):
                detail = {
                    "consultation_id": str(event.consultation_id),
                    "decided_at_level": event.decided_at_level,
                    "approved_by": event.approved_by,
                }
                try:
                    await self._fix_handler(
                        uow,
                        get_pack(event.tenant),
                        slip,
                        event.handler,
                        action="conclude_consultation",
                        fixed_by="consultation",
                        actor=SYSTEM,
                        office=None,
                        detail=detail,
                        named=event.approved_by,
                    )
                except SlipStateConflict:
                    pass
                else:
                    record = by_routing(
                        "slip.conclude_consultation",
                        SLIP,
                        slip.id,
                        {"handler": event.handler, **detail, "event_id": str(event.event_id)},
                    )
                    await uow.repos.audit.append(slip.tenant, [record])
            elif slip is not None and slip.fixed_by == "override":
                # Concluded in review before it learnt of the override: the slip keeps the
                # override's handler, and says why the consultation's was not taken.
                uow.repos.slips.record(
                    slip,
                    SYSTEM,
                    None,
                    "consultation_set_aside",
                    {"consultation_id": str(event.consultation_id), "handler": event.handler, "kept": slip.handler},
                    slip.citations,
                )
            await uow.commit()

    async def route_identified(self, event: TargetsIdentified) -> None:
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_IDENTIFIED):
                return
            uow.repos.inbox.record(str(event.event_id), CONSUMER_IDENTIFIED, event.subject)
            parent = await uow.repos.slips.get(event.tenant, str(event.slip_id))
            if parent is None or not SLIPS.allows("reclassify", parent.state):
                await uow.commit()
                return
            # Refused if an override moved the slip at the same moment: the event is retried.
            await uow.repos.slips.move(parent, "reclassify")
            uow.repos.slips.record(
                parent,
                SYSTEM,
                None,
                "reclassified",
                {
                    "targets": [t.model_dump(mode="json") for t in event.targets],
                    "investigation_id": str(event.investigation_id),
                },
                parent.citations,
            )
            pack = get_pack(event.tenant)
            calendar = await self.calendars.for_tenant(uow, pack.tenant)
            # Each identified target is classified and routed on its own.
            children = [await self._open_slip(uow, pack, calendar, parent, [target]) for target in event.targets]
            reclassified = by_routing(
                "slip.reclassify",
                SLIP,
                parent.id,
                {
                    "investigation_id": str(event.investigation_id),
                    "slip_ids": [child.id for child in children],
                    "event_id": str(event.event_id),
                },
            )
            await uow.repos.audit.append(
                parent.tenant, [reclassified, *(_opened(child, event.event_id) for child in children)]
            )
            await uow.commit()

    # ------------------------------------------------------------------ API

    async def override(
        self,
        principal: Principal,
        slip_id: str,
        handler: str,
        reason: str,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        """Fix ``handler`` against the rules' outcome, once per ``Idempotency-Key``; of two
        overrides racing for one slip, the second is refused with a 409.

        No pack names the office that forces a routing: the tenant grants ``routing:override``
        to the office that may. That office still acts only on targets within its authority,
        and, if it is linked to particular units, on matters of those units; a slip it may not
        read is not found."""
        pack = get_pack(principal.tenant)
        offices = pack.vocabulary.get("offices", {})
        if handler not in offices:
            known = ", ".join(sorted(offices))
            raise invalid(
                "body.handler", f"{handler!r} is not an office of {principal.tenant}: {known}", code="unknown_office"
            )

        async def act(uow: Uow) -> dict:
            slip, access = await self._readable(uow, principal, slip_id)
            authorise_step(
                principal,
                access,
                step="forcing the routing of this slip",
                offices=[principal.office] if principal.office else [],
                capability=ROUTING_OVERRIDE,
            )
            previous = {"previous_handler": slip.handler, "previous_state": slip.state}
            # The consultation the slip waited for decides no more: review supersedes it.
            superseding = {"consultation": "superseded"} if slip.state == SlipState.IN_CONSULTATION else {}
            await self._fix_handler(
                uow,
                pack,
                slip,
                handler,
                action="override",
                fixed_by="override",
                actor=principal.username,
                office=principal.office,
                detail={"reason": reason, **previous, **superseding},
                refusal="this slip's targets were identified and routed on their own slips",
                override=SlipOverride(by=principal.username, office=principal.office, reason=reason, **previous),
            )
            record = by_caller(
                principal, client_address, "slip.override", SLIP, slip.id, {"handler": handler, **previous}
            )
            await uow.repos.audit.append(principal.tenant, [record])
            return SlipRead.model_validate(slip).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def get(self, principal: Principal, slip_id: str, *, client_address: str | None = None) -> SlipRead:
        async with self.uow() as uow:
            slip, _ = await self._readable(uow, principal, slip_id)
            read = SlipRead.model_validate(slip)
            record = by_caller(principal, client_address, "slip.read", SLIP, slip.id, {"matter_id": slip.matter_id})
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return read

    async def list_slips(
        self,
        principal: Principal,
        matter_id: str | None,
        state: SlipState | None,
        limit: int,
        *,
        mine: bool | None = None,
        client_address: str | None = None,
    ) -> list[SlipRead]:
        """The slips the caller may read, by default only those concerning its office (naming
        it, or, for the office forcing routings, awaiting a handler); ``mine=False`` widens the
        list to every slip it may read. Asked for one matter's slips, the list shows every one
        the caller may read unless ``mine`` is said."""
        only_mine = mine if mine is not None else matter_id is None
        concern = None
        if only_mine and principal.office is not None:
            concern = concerning(principal.office, overrides=ROUTING_OVERRIDE in principal.roles)
        async with self.uow() as uow:
            slips = await uow.repos.slips.list_slips(
                principal.tenant, read_scope(principal), matter_id=matter_id, state=state, limit=limit, concern=concern
            )
            read = [SlipRead.model_validate(s) for s in slips]
            # A list shows each slip's content: the entry names the slips it showed.
            detail = {
                "filters": {"matter_id": matter_id, "state": state, "mine": only_mine, "limit": limit},
                "count": len(read),
                "slip_ids": [s.id for s in read],
            }
            record = by_caller(principal, client_address, "slip.list", SLIP, matter_id or "*", detail)
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return read

    async def timeline(
        self, principal: Principal, slip_id: str, *, client_address: str | None = None
    ) -> list[SlipEventRead]:
        async with self.uow() as uow:
            slip, _ = await self._readable(uow, principal, slip_id)
            read = [SlipEventRead.model_validate(e) for e in await uow.repos.slips.timeline(slip_id)]
            record = by_caller(principal, client_address, "slip.timeline", SLIP, slip.id, {"matter_id": slip.matter_id})
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return read

    @staticmethod
    async def _readable(uow: Uow, principal: Principal, slip_id: str) -> tuple[RoutingSlip, MatterAccess]:
        """The slip and who reads it, if the caller may; not found otherwise, exactly as a slip
        that does not exist, so that a refusal never tells the slip is there."""
        slip = await uow.repos.slips.get(principal.tenant, slip_id)
        access = await uow.repos.slips.access(slip) if slip is not None else None
        if slip is None or access is None or not may_read(principal, access):
            raise SlipNotFound(slip_id)
        return slip, access

    # ------------------------------------------------------------------ internals

    async def _open_slip(
        self,
        uow: Uow,
        pack: RulePack,
        calendar: WorkingCalendar,
        parent: RoutingSlip,
        targets: list[TargetSnapshot],
    ) -> RoutingSlip:
        issued_on = pack.today()
        (seq,) = await uow.repos.slips.reserve_numbers(pack.tenant, issued_on.year)
        # A target identified later follows the procedure its matter was routed under.
        kept = ProcedureChoice(procedure=parent.procedure) if parent.procedure else None
        readings = readings_in_force(await uow.repos.interpretations.reading_choices(pack.tenant), parent.relevant_date)
        facts = {
            **{k: v for k, v in parent.rule_facts.items() if not k.startswith("target")},
            "target_count": 1,
            "multiple_parties": False,
        }
        if targets:
            facts |= target_facts(targets[0])
        on = parent.relevant_date
        procedure = kept.procedure if kept else None
        judged = Judged(facts, *evaluate_routing(pack, calendar, facts, on, procedure, readings))
        ruling = rule_on(pack, (kept, None), judged)
        slip = RoutingSlip(
            **_slip_row(
                pack,
                seq,
                issued_on,
                targets,
                ruling,
                matter_id=parent.matter_id,
                matter_number=parent.matter_number,
                parent_slip_id=parent.id,
                source=parent.source,
                summary=parent.summary,
                facts=parent.facts,
                relevant_date=on,
            )
        )
        await uow.repos.slips.add([slip])
        await uow.repos.slips.grant([(slip, slip_access(slip, pack))])
        self._announce(uow, slip, ruling.detail)
        return slip

    @staticmethod
    def _new_slip(
        pack: RulePack,
        event: MatterAccepted,
        targets: list[TargetSnapshot],
        seq: int,
        issued_on: dt.date,
        ruling: Ruling,
    ) -> NewSlip:
        """The row of a slip routing ``targets`` of an accepted matter (``stage_opened`` gives
        it its id)."""
        row = _slip_row(
            pack,
            seq,
            issued_on,
            targets,
            ruling,
            matter_id=str(event.matter_id),
            matter_number=event.number,
            parent_slip_id=None,
            source=event.source,
            summary=event.summary,
            facts=event.facts,
            relevant_date=event.relevant_date,
        )
        return NewSlip(row, targets)

    @staticmethod
    def _judge_targets(
        rulings: BatchRulings,
        pack: RulePack,
        calendar: WorkingCalendar,
        event: MatterAccepted,
        matter: dict[str, Any],
        targets: list[TargetSnapshot],
        choice: tuple[ProcedureChoice | None, dict | None],
        readings: Mapping[str, str],
    ) -> Judged:
        """The routing step for a slip of ``targets`` (the matter's facts over those targets, the
        first target's own), or why the pack could not choose the procedure to ask. ``matter``:
        the matter's facts over all its targets, those of a slip that routes them all."""
        if len(targets) != len(event.targets):
            matter = matter_facts(event.source, event.key_supervised, event.proposed_form, targets)
        facts = matter | target_facts(targets[0]) if targets else dict(matter)
        procedure_choice, choice_error = choice
        if choice_error is not None:
            return Judged(facts, None, choice_error)
        procedure = procedure_choice.procedure if procedure_choice else None
        return rulings.judge(pack, calendar, "routing", facts, event.relevant_date, procedure, readings)

    def _announce(self, uow: Uow, slip: RoutingSlip, detail: dict) -> None:
        """The ``opened`` timeline entry and the slip's event (after the slip has its id)."""
        uow.repos.slips.record(slip, SYSTEM, None, "opened", detail, slip.citations)
        self._publish_opened(uow, slip)

    def _publish_opened(self, uow: Uow, slip: RoutingSlip | NewSlip) -> None:
        """A new slip's event: its consultation requested, or its matter routed."""
        if slip.state == SlipState.IN_CONSULTATION:
            uow.publish(self._consultation_requested(slip, slip.outcome))
        elif slip.state == SlipState.ROUTED:
            uow.publish(self._routed(slip))

    def _judge_whole_matter(
        self,
        rulings: BatchRulings,
        pack: RulePack,
        calendar: WorkingCalendar,
        event: MatterAccepted,
        matter: dict[str, Any],
        procedure: str | None,
        readings: Mapping[str, str],
    ) -> Judged | None:
        """The ``matter_routing`` step of the procedure's workflow over the facts of all the
        matter's targets, asked before any target is routed; ``None`` where the workflow binds no
        such step or the matter has one target, whose routing is its own. ``matter``: the matter's
        facts over all its targets."""
        if pack.workflow_decision("matter_routing", procedure) is None or len(event.targets) < 2:
            return None
        facts = matter | whole_matter_facts(event.proposed_form, event.targets)
        return rulings.judge(pack, calendar, "matter_routing", facts, event.relevant_date, procedure, readings)

    @staticmethod
    def _groups(pack: RulePack, event: MatterAccepted, whole: Judged | None, procedure: str | None) -> list[Group]:
        """The slips the matter is routed on. Where the pack's answer for the whole matter
        takes precedence (or the pack cannot answer it: the slip then waits for an override),
        one slip routes all the targets by that answer; otherwise one slip per target where
        the pack routes per target, else one for the matter."""
        targets = list(event.targets)
        if whole is not None and (whole.error is not None or whole.outcome.get("route_whole_matter")):
            return [(targets, whole)]
        if pack.route_per_target(procedure) and len(targets) > 1:
            return [([t], None) for t in targets]
        return [(targets, None)]

    async def _fix_handler(
        self,
        uow: Uow,
        pack: RulePack,
        slip: RoutingSlip,
        handler: str,
        *,
        action: str,
        fixed_by: str,
        actor: str,
        office: str | None,
        detail: dict,
        refusal: str | None = None,
        named: Sequence[str] = (),
        override: SlipOverride | None = None,
    ) -> None:
        """Move ``slip`` to ``handler``; ``named``: offices that took part (a consultation's
        approvers), who become parties to the slip with the new handler; ``override``: who set
        the handler against the rules, told to review with the slip's event."""
        opinion = routing_opinion(pack, {**slip.outcome, "handler": handler, "investigated_by": None}, SlipState.ROUTED)
        await uow.repos.slips.move(slip, action, detail=refusal, handler=handler, fixed_by=fixed_by, opinion=opinion)
        await uow.repos.slips.name_offices(slip, sorted(slip_access(slip, pack, named).offices))
        uow.repos.slips.record(
            slip, actor, office, f"routed_by_{fixed_by}", {"handler": handler, **detail}, slip.citations
        )
        uow.publish(self._routed(slip, override))

    @staticmethod
    def _targets(slip: RoutingSlip | NewSlip) -> list[TargetSnapshot]:
        if isinstance(slip, NewSlip):
            return slip.snapshots
        return [TargetSnapshot.model_validate(t) for t in slip.targets]

    def _routed(self, slip: RoutingSlip | NewSlip, override: SlipOverride | None = None) -> MatterRouted:
        outcome = slip.outcome
        # An override or a consultation fixes the handler; the rules' investigation plan
        # stands only while the rules' own outcome does.
        by_rules = slip.fixed_by == "rules"
        return MatterRouted(
            tenant=slip.tenant,
            matter_id=slip.matter_id,
            slip_id=slip.id,
            slip_number=slip.number,
            matter_number=slip.matter_number,
            summary=slip.summary,
            relevant_date=slip.relevant_date,
            targets=self._targets(slip),
            procedure=slip.procedure,
            handler=slip.handler,
            cc=slip.cc,
            investigated_by=outcome.get("investigated_by") if by_rules else None,
            investigated_with=codes(outcome.get("investigated_with")) if by_rules else [],
            reclassify_after_investigation=bool(outcome.get("reclassify_after_investigation")) and by_rules,
            joint_review_required=bool(outcome.get("joint_review_required")),
            start_approved_by=codes(outcome.get("start_approved_by")),
            decided_by=codes(outcome.get("decided_by")),
            fixed_by=slip.fixed_by or "rules",
            facts=slip.rule_facts,
            outcome=outcome,
            citations=slip.citations,
            override=override,
            slip_revision=slip.revision,
        )

    def _consultation_requested(self, slip: RoutingSlip | NewSlip, outcome: dict[str, Any]) -> ConsultationRequested:
        return ConsultationRequested(
            tenant=slip.tenant,
            matter_id=slip.matter_id,
            slip_id=slip.id,
            slip_number=slip.number,
            matter_number=slip.matter_number,
            summary=slip.summary,
            relevant_date=slip.relevant_date,
            targets=self._targets(slip),
            procedure=slip.procedure,
            lead=outcome.get("consultation_lead"),
            participants=codes(outcome.get("consultation_participants")),
            proposed_handler=outcome.get("handler"),
            handler_candidates=codes(outcome.get("handler_candidates")),
            approved_by=codes(outcome.get("routing_approved_by")),
            escalation=_steps(outcome.get("consultation_escalation")),
            facts=slip.rule_facts,
            outcome=outcome,
            citations=slip.citations,
        )


def _slip_row(
    pack: RulePack, seq: int, issued_on: dt.date, targets: list[TargetSnapshot], ruling: Ruling, **matter: Any
) -> dict[str, Any]:
    """The columns of a new slip routing ``targets``, numbered ``seq`` of the year it is issued
    in, with ``matter``'s columns (its id, number, source, texts, relevant date and the parent
    slip if any). The matter's relevant date decides which rules apply, never the number: a
    client chooses that date."""
    return {
        "tenant": pack.tenant,
        "number": pack.number(SLIP_NUMBERING, issued_on.year, seq, on=issued_on),
        **matter,
        "targets": [t.model_dump(mode="json") for t in targets],
        **ruling.columns,
    }


def _opened(slip: RoutingSlip | NewSlip, event_id: Any) -> AuditRecord:
    """The audit entry of a slip the rules opened, and the event that asked for it."""
    return by_routing(
        "slip.open",
        SLIP,
        slip.id,
        {
            "matter_id": slip.matter_id,
            "number": slip.number,
            "state": slip.state,
            "handler": slip.handler,
            "parent_slip_id": slip.parent_slip_id,
            "event_id": str(event_id),
        },
    )
