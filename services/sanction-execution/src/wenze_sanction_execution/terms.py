"""What a tenant's pack says about carrying out a decision, read from its workflow steps
``execution``, ``after_effects`` and ``appeal`` (docs/execution.md). Pure functions over
evaluations: no I/O, so the unit tests check them against the real packs.

The facts passed are named the same way for every pack; each decision takes the ones it
declares. Deadline-typed outputs of the ``execution`` decision are the duties to track: the
output ``copy_decision_due`` is the duty ``copy_decision``, met when the step of that name is
done (or, without such a step, when the execution is carried out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wenze.rules import Evaluation, RulePack
from wenze_sanction_execution.persons.models import Purpose

DUE_SUFFIX = "_due"

# After-effect outputs, by the name every pack gives them, and what they bar. A date output
# is the first day the bar no longer holds; a flag without a date bars for a period another
# regulation sets (the outcome's period_set_by names it).
UNTIL_OUTPUTS: dict[str, Purpose] = {
    "no_promotion_until": Purpose.PROMOTION,
    "no_equivalent_post_until": Purpose.APPOINTMENT,
}
FLAG_OUTPUTS: dict[str, Purpose] = {
    "loses_promotion_eligibility": Purpose.PROMOTION,
    "loses_honours_eligibility": Purpose.HONOURS,
}
HONOURS_THIS_YEAR = "no_appraisal_honours_this_year"


@dataclass(frozen=True)
class PlannedStep:
    code: str
    actor: str | None
    joined_by: list[str]
    action: str
    citations: list[str]
    numbering: str | None = None


@dataclass(frozen=True)
class PlannedDeadline:
    duty: str
    label: str
    due_on: dt.date
    remind_on: dt.date
    citations: list[str]
    interpretations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ExecutionPlan:
    steps: list[PlannedStep]
    deadlines: list[PlannedDeadline]
    citations: list[str]
    interpretations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedEffect:
    purpose: Purpose
    until: dt.date | None
    period_set_by: str | None
    rule: str
    description: str
    citations: list[str]
    interpretations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AppealTerms:
    allowed: bool
    last_day: dt.date | None
    heard_by: list[str]
    suspends_execution: bool
    citations: list[str] = field(default_factory=list)
    interpretations: list[dict[str, Any]] = field(default_factory=list)


def codes(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def decision_facts(
    pack: RulePack, target: dict[str, Any], measures: Sequence[str], decided_on: dt.date
) -> dict[str, Any]:
    """The facts of one target's decided measures, named as every pack's execution steps read them."""
    vocabulary = pack.vocabulary
    organisational = vocabulary.get("organisational_measures") or vocabulary.get("measures", {})
    facts: dict[str, Any] = {
        "decided_on": decided_on,
        "measures": [m for m in measures if m in vocabulary.get("measures", {})],
        "organisational_measures": [m for m in measures if m in organisational],
        "target_kind": target.get("kind"),
        "cadre_level": target.get("cadre_level"),
        "organisation_level": target.get("org_level"),
        "party_member": target.get("party_member"),
    }
    return {k: v for k, v in facts.items() if v is not None}


def _cited(evaluation: Evaluation, rule_outputs: Iterable[str]) -> list[str]:
    wanted = set(rule_outputs)
    found: dict[str, None] = {}
    for fired in evaluation.explanation:
        if wanted & set(fired.outputs):
            for citation in fired.citations:
                found[citation.text] = None
    return list(found)


def applied_interpretations(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Every interpretation point the evaluation depended on, as stored beside its citations."""
    return [applied.model_dump(mode="json") for applied in evaluation.interpretations]


def interpretations_behind(pack: RulePack, evaluation: Evaluation, tables: Iterable[str]) -> list[dict[str, Any]]:
    """The interpretation points an outcome set by ``tables`` of the evaluation depended on: a
    point whose parameter some rule of those tables reads, or of an earlier table whose output
    they read. A decision names its points as a whole (Jintan's execution names the rest-day
    point for its month's deadline, not for announcing the decision), and a period or deadline
    says only what it rests on. Whole tables, not the fired rules alone: under first hit the rule
    that fired may read nothing while the ones before it failed on the reading."""
    if not evaluation.interpretations:
        return []
    decision = pack.decision(evaluation.decision)
    reads = {table.name: {name for rule in table.rules for name in rule.condition.names} for table in decision.tables}
    read: set[str] = set()
    pending, seen = list(tables), set()
    while pending:
        table = pending.pop()
        if table in seen:
            continue
        seen.add(table)
        names = reads.get(table, set())
        read |= names
        pending += [fired.table for fired in evaluation.explanation if names & set(fired.outputs)]
    return [applied.model_dump(mode="json") for applied in evaluation.interpretations if read & set(applied.parameters)]


def execution_plan(pack: RulePack, evaluation: Evaluation, *, default_lead_days: int) -> ExecutionPlan:
    """Steps and deadlines of one execution from its ``execution`` evaluation."""
    steps: list[PlannedStep] = []
    for fired in evaluation.explanation:
        for raw in fired.outputs.get("steps") or []:
            steps.append(
                PlannedStep(
                    code=str(raw["step"]),
                    actor=raw.get("actor"),
                    joined_by=list(raw.get("with", [])),
                    action=str(raw.get("action") or raw["step"]),
                    citations=[c.text for c in fired.citations],
                    numbering=raw.get("number"),
                )
            )
    decision = pack.decision(evaluation.decision)
    lead = evaluation.outcome.get("reminder_lead_days")
    lead_days = int(lead) if isinstance(lead, int) else default_lead_days
    deadlines: list[PlannedDeadline] = []
    for name, spec in decision.outputs.items():
        if spec.type != "deadline" or not name.endswith(DUE_SUFFIX):
            continue
        value = evaluation.outcome.get(name)
        if not isinstance(value, dict) or not value.get("due"):
            continue
        due_on = dt.date.fromisoformat(value["due"])
        deadlines.append(
            PlannedDeadline(
                duty=name.removesuffix(DUE_SUFFIX),
                label=spec.description or name,
                due_on=due_on,
                remind_on=due_on - dt.timedelta(days=lead_days),
                citations=_cited(evaluation, [name]),
                interpretations=interpretations_behind(
                    pack, evaluation, {fired.table for fired in evaluation.explanation if name in fired.outputs}
                ),
            )
        )
    return ExecutionPlan(
        steps=steps,
        deadlines=deadlines,
        citations=[c.text for c in evaluation.citations],
        interpretations=applied_interpretations(evaluation),
    )


def after_effects(pack: RulePack, evaluation: Evaluation, decided_on: dt.date) -> list[PlannedEffect]:
    """Each bar the ``after_effects`` evaluation sets, one per rule that set it, so that every
    period keeps the article it rests on and the interpretation points it depended on."""
    effects: list[PlannedEffect] = []
    period_set_by = evaluation.outcome.get("period_set_by")
    for fired in evaluation.explanation:
        citations = [c.text for c in fired.citations]
        behind = interpretations_behind(pack, evaluation, [fired.table])
        for name, value in fired.outputs.items():
            if name in UNTIL_OUTPUTS and isinstance(value, dict) and value.get("due"):
                effects.append(
                    PlannedEffect(
                        UNTIL_OUTPUTS[name],
                        dt.date.fromisoformat(value["due"]),
                        None,
                        fired.rule,
                        fired.description,
                        citations,
                        behind,
                    )
                )
            elif name in FLAG_OUTPUTS and value is True:
                effects.append(
                    PlannedEffect(
                        FLAG_OUTPUTS[name], None, period_set_by, fired.rule, fired.description, citations, behind
                    )
                )
            elif name == HONOURS_THIS_YEAR and value is True:
                effects.append(
                    PlannedEffect(
                        Purpose.HONOURS,
                        dt.date(decided_on.year + 1, 1, 1),
                        None,
                        fired.rule,
                        fired.description,
                        citations,
                        behind,
                    )
                )
    return effects


def appeal_terms(evaluation: Evaluation) -> AppealTerms:
    outcome = evaluation.outcome
    window = outcome.get("appeal_until")
    last_day = dt.date.fromisoformat(window["due"]) if isinstance(window, dict) and window.get("due") else None
    return AppealTerms(
        allowed=bool(outcome.get("appeal_allowed")),
        last_day=last_day,
        heard_by=codes(outcome.get("heard_by")),
        suspends_execution=bool(outcome.get("suspends_execution")),
        citations=[c.text for c in evaluation.citations],
        interpretations=applied_interpretations(evaluation),
    )


@dataclass(frozen=True)
class Bar:
    """One active period as the eligibility answer shows it."""

    purpose: str
    until: dt.date | None
    period_set_by: str | None
    decision_number: str
    starts_on: dt.date
    rule: str
    description: str
    citations: list[str]
    interpretations: list[dict[str, Any]] = field(default_factory=list)


def holds_on(bar: Bar, on: dt.date) -> bool:
    return bar.starts_on <= on and (bar.until is None or on < bar.until)


def combined_until(bars: Sequence[Bar]) -> tuple[bool, dt.date | None]:
    """Concurrent periods do not add up: the bar holds until the latest of their ends (Jintan
    第十九条, Hubei 第十九条: the longer is executed). One period without an end (set by
    another regulation) leaves the end unknown. Returns (barred, until)."""
    if not bars:
        return False, None
    if any(b.until is None for b in bars):
        return True, None
    return True, max(b.until for b in bars if b.until is not None)
