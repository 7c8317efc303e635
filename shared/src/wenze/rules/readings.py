"""The reading of each interpretation point in force on a date, from a tenant's choices.

A tenant's administrator chooses a reading of a point from a date (routing records it; other
services keep a copy from ``routing.<tenant>.interpretation.chosen.v1``). Each choice is a new
version; for a date the latest choice effective on or before it holds, and before any choice
the pack's default. The same function answers in every service, so a matter of a given date
is read the same way wherever it is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from wenze.rules.models import Evaluation


@dataclass(frozen=True, slots=True)
class ReadingChoice:
    point: str
    reading: str
    effective_from: date
    version: int


def readings_in_force(choices: Iterable[ReadingChoice], on: date) -> dict[str, str]:
    """Point → the reading chosen for ``on``; points without a choice effective then are left
    out, so the pack's default applies to them. Of two choices effective the same day the
    later version holds."""
    best: dict[str, ReadingChoice] = {}
    for choice in choices:
        if choice.effective_from > on:
            continue
        held = best.get(choice.point)
        if held is None or (choice.effective_from, choice.version) > (held.effective_from, held.version):
            best[choice.point] = choice
    return {point: choice.reading for point, choice in best.items()}


def interpretations_explained(evaluation: Evaluation | None) -> list[dict[str, Any]]:
    """Each interpretation point the evaluation depended on, as an entry of an explanation (a
    slip's, a recommendation's) beside the fired rules: the point, the reading it was read
    under, whether that is the pack's default, and the articles concerned."""
    if evaluation is None:
        return []
    return [
        {
            "table": "interpretation",
            "rule": applied.point,
            "description": applied.question.strip(),
            "facts": {},
            "outputs": {"reading": applied.reading, "label": applied.label, "default": applied.default},
            "citations": [c.model_dump(mode="json") for c in applied.citations],
            "interpretation": applied.model_dump(mode="json"),
        }
        for applied in evaluation.interpretations
    ]
