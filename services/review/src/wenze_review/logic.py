"""Pure rules of the review workflow: no database, no network, so they are unit-tested alone.

The names of the facts passed to the pack and of the outputs read back are the contract of
docs/workflow.md; they are built here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
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


def accountability_history(earlier: Iterable[dt.date], occurred_on: dt.date | None) -> dict[str, Any]:
    """``last_accountability_on`` and ``prior_accountabilities`` from a person's earlier decisions.

    Prior accountabilities are those decided in the year before ``occurred_on`` (the day itself
    excluded, a year back included); without ``occurred_on`` the count is not given.
    """
    dates = sorted(earlier)
    facts: dict[str, Any] = {}
    if dates:
        facts["last_accountability_on"] = dates[-1].isoformat()
    if occurred_on is not None:
        try:
            start = occurred_on.replace(year=occurred_on.year - 1)
        except ValueError:  # 29 February
            start = occurred_on.replace(year=occurred_on.year - 1, day=28)
        facts["prior_accountabilities"] = sum(1 for d in dates if start <= d < occurred_on)
    return facts


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


@dataclass(frozen=True)
class DecisionRequirements:
    """The decision step's answer over every target of a case: who decides, whose approvals come
    first, whether the targets are heard, and the articles saying so."""

    decided_by: list[str]
    approved_by: list[str]
    hearing_required: bool
    hearing_citations: list[str]
    citations: list[str]

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


def decision_requirements(evaluations: Iterable[Any], default_deciders: Iterable[str]) -> DecisionRequirements:
    """Join the decision step's evaluations of each target; ``default_deciders`` (the routing
    slip's) decide where the step names nobody."""
    decided_by: dict[str, None] = {}
    approved_by: dict[str, None] = {}
    hearing_citations: dict[str, None] = {}
    citations: dict[str, None] = {}
    hearing_required = False
    for evaluation in evaluations:
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
    )
