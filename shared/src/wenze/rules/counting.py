"""Counted triggers (``counted_triggers`` in pack.yaml): how the decisions a service counted
for one organisation become the facts of the pack's decision.

A binding names the decision, the counting window and the inputs that receive the window's
first day, the party sanctions and the major cases. The service that counts (intake) and the
pack's YAML cases both build the facts here, so a case tests what the service evaluates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from wenze.rules.compiled import CountedTrigger
from wenze.rules.period import Period, counting_window


@dataclass(frozen=True)
class CountedRecord:
    """One target of one decision, as counted for its organisation."""

    decision: str
    decided_on: date
    party_sanction: str | None = None
    leading_group_member: bool = False
    # The decision disposes of a major case: counted once per decision, however many targets.
    major_case: bool = False


def window_of(binding: CountedTrigger, on: date, kind: str | None = None) -> Period:
    """The counting window of a decision made ``on``; both ends are set. ``kind`` is the window
    the reading in force gives where the binding takes it from an interpretation point
    (``RulePack.window_kind``)."""
    window = binding.window or kind
    if window is None:
        raise ValueError(
            f"{binding.decision}: the window comes from parameter {binding.window_parameter!r}; pass its kind"
        )
    return counting_window(window, on)


def counted_facts(
    binding: CountedTrigger, on: date, records: Iterable[CountedRecord], kind: str | None = None
) -> dict[str, Any]:
    """The facts ``binding``'s decision is evaluated with for a decision made ``on``: the
    window's first day and the records dated in the window."""
    window = window_of(binding, on, kind)
    inside = [r for r in records if window.contains(r.decided_on)]
    facts: dict[str, Any] = {binding.window_start_fact: window.start}
    if binding.sanctions_fact:
        facts[binding.sanctions_fact] = [
            {"sanction": r.party_sanction, "leading_group_member": r.leading_group_member, "decided_on": r.decided_on}
            for r in inside
            if r.party_sanction
        ]
    if binding.major_cases_fact:
        cases: dict[str, date] = {}
        for r in inside:
            if r.major_case:
                cases.setdefault(r.decision, r.decided_on)
        facts[binding.major_cases_fact] = [{"occurred_on": on} for on in cases.values()]
    return facts
