"""Pure rules of the review workflow: no database, no network, so they are unit-tested alone.

The names of the facts passed to the pack and of the outputs read back are the contract of
docs/workflow.md; they are built here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

# Consensus outcome of a signing round.
CONSENSUS_LEVEL = "consensus"


def normalise_steps(steps: Iterable[Any]) -> list[dict[str, Any]]:
    """Escalation steps as stored: packs write ``with`` where the event contract says ``joined_by``."""
    result = []
    for raw in steps or []:
        step = raw.model_dump() if hasattr(raw, "model_dump") else dict(raw)
        joined = step.get("joined_by") or step.get("with") or []
        result.append(
            {
                "step": step.get("step"),
                "actor": step.get("actor"),
                "joined_by": list(joined),
                "action": step.get("action"),
            }
        )
    return result


@dataclass(frozen=True)
class Opinion:
    office: str
    agrees: bool
    handler: str | None


def consensus(
    participants: Sequence[str], opinions: Sequence[Opinion], proposed_handler: str | None, *, choose_handler: bool
) -> tuple[bool, str | None]:
    """Whether every participant has signed, and the agreed handler (or ``None`` if divided).

    A consultation that chooses a handler is unanimous when every opinion names the same one
    (agreeing names the proposed handler); a joint review is unanimous when everyone agrees.
    Returns ``(complete, handler)``; for a joint review the handler of a unanimous round is
    the empty string.
    """
    signed = {o.office for o in opinions}
    if not set(participants) <= signed:
        return False, None
    if not choose_handler:
        return True, "" if all(o.agrees for o in opinions) else None
    named = {proposed_handler if o.agrees else o.handler for o in opinions}
    if len(named) == 1 and None not in named:
        return True, named.pop()
    return True, None


RECOMMENDATION_FACTS = (
    "severity",
    "proposed_measures",
    "circumstances",
    "duty_holder",
    "responsibility_kind",
    "role",
    "collective_decision",
    "recorded_dissent",
    "mitigating",
    "aggravating",
    "occurred_on",
)


def recommendation_facts(recommendation: Mapping[str, Any]) -> dict[str, Any]:
    facts = {k: recommendation.get(k) for k in RECOMMENDATION_FACTS}
    occurred_on = facts.get("occurred_on")
    if isinstance(occurred_on, dt.date):
        facts["occurred_on"] = occurred_on.isoformat()
    return {k: v for k, v in facts.items() if v is not None}


@dataclass(frozen=True)
class PriorDecision:
    """An earlier accountability decision of the person, as the history counts it."""

    number: str | None
    decided_on: dt.date

    def as_record(self) -> dict[str, Any]:
        return {"number": self.number, "decided_on": self.decided_on.isoformat()}


@dataclass(frozen=True)
class AccountabilityHistory:
    """The history facts the rules weigh, and the earlier decisions the count is made of."""

    facts: dict[str, Any]
    counted: list[PriorDecision]


def accountability_history(earlier: Iterable[PriorDecision], occurred_on: dt.date | None) -> AccountabilityHistory:
    """``last_accountability_on`` and ``prior_accountabilities`` from a person's earlier decisions.

    Prior accountabilities are those decided in the year before ``occurred_on`` (the day itself
    excluded, a year back included); without ``occurred_on`` the count is not given and
    nothing is counted.
    """
    decisions = sorted(earlier, key=lambda d: (d.decided_on, d.number or ""))
    facts: dict[str, Any] = {}
    counted: list[PriorDecision] = []
    if decisions:
        facts["last_accountability_on"] = decisions[-1].decided_on.isoformat()
    if occurred_on is not None:
        try:
            start = occurred_on.replace(year=occurred_on.year - 1)
        except ValueError:  # 29 February
            start = occurred_on.replace(year=occurred_on.year - 1, day=28)
        counted = [d for d in decisions if start <= d.decided_on < occurred_on]
        facts["prior_accountabilities"] = len(counted)
    return AccountabilityHistory(facts, counted)


def outside_permitted(measures: Iterable[str], permitted: Iterable[str] | None) -> list[str]:
    allowed = set(permitted or [])
    return [m for m in measures if m not in allowed]


def as_list(value: Any) -> list[str]:
    """An output declared ``code or codes`` as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def citations_of(evaluation: Any, output: str | None = None) -> list[str]:
    """Citation texts of an evaluation, or of the rules that set ``output``."""
    seen: dict[str, None] = {}
    for fired in evaluation.explanation:
        if output is not None and output not in fired.outputs:
            continue
        for citation in fired.citations:
            seen.setdefault(citation.text, None)
    return list(seen)


def rules_setting(evaluation: Any, output: str) -> list[str]:
    """The ids of the rules that set ``output``: what a refusal names besides their articles."""
    return list(dict.fromkeys(f.rule for f in evaluation.explanation if output in f.outputs))


def stage_offices(stage: Mapping[str, Any]) -> list[str]:
    """The offices and bodies that give a stage's approvals."""
    return [o for o in [stage.get("actor"), *stage.get("joined_by", [])] if o]


def merge_sequences(sequences: Iterable[Sequence[Mapping[str, Any]]], order: Sequence[str]) -> list[dict[str, Any]]:
    """One order of approval stages from each target's: every stage once, in ``order`` (the
    order the pack writes its stages in); a stage ``order`` does not name comes last."""
    stages: dict[str, dict[str, Any]] = {}
    for sequence in sequences:
        for stage in sequence:
            stages.setdefault(stage["step"], dict(stage))
    rank = {step: i for i, step in enumerate(order)}
    return sorted(stages.values(), key=lambda stage: rank.get(stage["step"], len(rank)))


def stage_before(
    sequence: Sequence[Mapping[str, Any]], required: Iterable[str], approved: Iterable[str], office: str
) -> tuple[dict[str, Any], list[str]] | None:
    """The first stage before ``office``'s whose required approvals are not all given, with
    those still waiting; ``None`` when ``office`` may approve now (or is in no stage)."""
    required, approved = set(required), set(approved)
    index = next((i for i, stage in enumerate(sequence) if office in stage_offices(stage)), None)
    if index is None:
        return None
    for stage in sequence[:index]:
        waiting = [o for o in stage_offices(stage) if o in required and o not in approved]
        if waiting:
            return dict(stage), waiting
    return None


def approvals_open(
    sequence: Sequence[Mapping[str, Any]], required: Iterable[str], approved: Iterable[str]
) -> list[str]:
    """The required approvals not given yet whose earlier stages are complete: those in the queues now."""
    approved = set(approved)
    return [o for o in required if o not in approved and stage_before(sequence, required, approved, o) is None]


@dataclass(frozen=True)
class DecisionRequirements:
    """The decision step's answer over every target of a case: who decides, whose approvals come
    first and in which order, whether the targets are heard, and the articles saying so."""

    decided_by: list[str]
    approved_by: list[str]
    hearing_required: bool
    hearing_citations: list[str]
    citations: list[str]
    # Stages of approval in the order they are given ({step, actor, joined_by, action}); an
    # approval not in any stage may be given at any time.
    approval_sequence: list[dict[str, Any]] = field(default_factory=list)
    # Once decided, the offices the decision materials are copied to, the time limit the pack
    # gives for it (a deadline rule, counted from the decision's day), the day that makes
    # (ISO, once the decision is dated) and the articles saying so.
    copy_to: list[str] = field(default_factory=list)
    copy_rule: dict[str, Any] | None = None
    copy_due: str | None = None
    copy_citations: list[str] = field(default_factory=list)

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


def decision_requirements(
    evaluations: Iterable[Any], default_deciders: Iterable[str], stage_order: Sequence[str] = ()
) -> DecisionRequirements:
    """Join the decision step's evaluations of each target; ``default_deciders`` (the routing
    slip's) decide where the step names nobody; ``stage_order`` orders the approval stages."""
    decided_by: dict[str, None] = {}
    approved_by: dict[str, None] = {}
    hearing_citations: dict[str, None] = {}
    citations: dict[str, None] = {}
    hearing_required = False
    sequences = []
    copy_to: dict[str, None] = {}
    copy_citations: dict[str, None] = {}
    copy_rule: dict[str, Any] | None = None
    for evaluation in evaluations:
        copy_to.update(dict.fromkeys(as_list(evaluation.outcome.get("copy_to"))))
        copy_citations.update(dict.fromkeys(citations_of(evaluation, "copy_to")))
        copy_citations.update(dict.fromkeys(citations_of(evaluation, "copy_due")))
        copy_rule = copy_rule or evaluation.outcome.get("copy_due")
        sequences.append(normalise_steps(evaluation.outcome.get("approval_sequence") or []))
        decided_by.update(dict.fromkeys(as_list(evaluation.outcome.get("decided_by"))))
        approved_by.update(dict.fromkeys(as_list(evaluation.outcome.get("approved_by"))))
        if evaluation.outcome.get("hearing_required"):
            hearing_required = True
            hearing_citations.update(dict.fromkeys(citations_of(evaluation, "hearing_required")))
        citations.update(dict.fromkeys(citations_of(evaluation)))
    return DecisionRequirements(
        decided_by=list(decided_by) or list(default_deciders),
        approved_by=list(approved_by),
        hearing_required=hearing_required,
        hearing_citations=list(hearing_citations),
        citations=list(citations),
        approval_sequence=merge_sequences(sequences, stage_order),
        copy_to=list(copy_to),
        copy_rule={k: v for k, v in copy_rule.items() if k not in ("start", "due")} if copy_rule else None,
        copy_citations=list(copy_citations),
    )
