"""A pack as loading leaves it and evaluation reads it.

Every condition is already a closure, every citation resolved, every period computed, and
each decision's rules sliced by period (``Decision.bounds``/``segments``), so answering for a
date is a bisect plus a walk. Nothing here reads files or reports lint issues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from wenze.rules.conditions import Compiled
from wenze.rules.models import Citation, DecisionInfo, DocumentInfo, LintIssue
from wenze.rules.period import Period

# The rule documents are Chinese; a pack says so explicitly or gets China's zone.
DEFAULT_TIME_ZONE = ZoneInfo("Asia/Shanghai")

# How fired rules combine into one output where the pack does not say. Other types take
# `unique`, which refuses two different values: the safe default for single-valued outputs,
# since a conflict is a pack bug, not a tie to break.
DEFAULT_MERGE = {"codes": "union", "steps": "union", "text": "union"}

# The workflow steps the services drive, and the outputs each bound decision must declare for
# the services to read (docs/workflow.md). Facts the services pass are named the same way in
# every pack, so a step's decision takes what it needs from one superset of facts.
WORKFLOW_OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "routing": {"handler": ("code",)},
    "recommendation": {"permitted_measures": ("codes",), "proposal_valid": ("bool",)},
    "factors": {},
    "joint_review": {"joint_review_required": ("bool",)},
    "decision": {"decided_by": ("code", "codes"), "hearing_required": ("bool",)},
    "simplified_procedure": {"simplified_allowed": ("bool",)},
}

NUMBER_PLACEHOLDER = re.compile(r"\{(year|seq)(?::0([1-9])d)?\}")


@dataclass
class InputSpec:
    name: str
    type: str
    vocab: str | None
    required: bool
    default: Any
    description: str


@dataclass
class OutputSpec:
    name: str
    type: str
    vocab: str | None
    merge: str
    description: str


@dataclass
class Rule:
    id: str
    table: str
    description: str
    condition: Compiled
    then: dict[str, Any]
    citations: tuple[Citation, ...]
    period: Period
    exception_to: str | None
    file: str
    # Pydantic model instances are immutable once built; sharing one list per rule spares
    # rebuilding the citations on every evaluation.
    citation_list: list[Citation] = field(default_factory=list)


@dataclass
class Table:
    name: str
    hit: str
    required: bool
    rules: list[Rule]


@dataclass
class Decision:
    name: str
    description: str
    procedure: str | None
    file: str
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    tables: list[Table]
    # Bisect index over period boundaries: segments[i] holds, per table, the rules in force
    # for dates in [bounds[i-1], bounds[i]).
    bounds: list[date] = field(default_factory=list)
    segments: list[list[tuple[Table, list[Rule]]]] = field(default_factory=list)

    def info(self) -> DecisionInfo:
        def kind(t: str, vocab: str | None) -> str:
            return f"{t}<{vocab}>" if vocab else t

        return DecisionInfo(
            name=self.name,
            description=self.description,
            procedure=self.procedure,
            inputs={n: kind(s.type, s.vocab) for n, s in self.inputs.items()},
            outputs={n: kind(s.type, s.vocab) for n, s in self.outputs.items()},
        )

    def rules(self) -> Iterable[Rule]:
        for table in self.tables:
            yield from table.rules

    def cited_documents(self) -> list[str]:
        """The documents the decision's rules cite, in order of first citation."""
        return list(dict.fromkeys(c.document for r in self.rules() for c in r.citations))


@dataclass
class SourceSpec:
    """An intake source with the period its citation (and any explicit bounds) allow."""

    code: str
    label: str
    citation: Citation
    procedure: str | None
    period: Period


@dataclass
class NumberingSpec:
    kind: str
    pattern: str
    description: str
    citation: Citation | None
    period: Period

    def format(self, year: int, seq: int) -> str:
        def fill(m: re.Match[str]) -> str:
            value = year if m.group(1) == "year" else seq
            width = int(m.group(2) or 0)
            return str(value).zfill(width)

        return NUMBER_PLACEHOLDER.sub(fill, self.pattern)


@dataclass
class CompiledPack:
    """One tenant's pack, with every problem loading found in ``issues``."""

    tenant: str
    title: str = ""
    time_zone: ZoneInfo = DEFAULT_TIME_ZONE
    vocabulary: dict[str, dict[str, str]] = field(default_factory=dict)
    procedures: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: dict[str, DocumentInfo] = field(default_factory=dict)
    articles: dict[tuple[str, str], Citation] = field(default_factory=dict)
    # False for purpose, scope and interpretation clauses, which no rule needs to cite.
    deciding: dict[tuple[str, str], bool] = field(default_factory=dict)
    sources: list[SourceSpec] = field(default_factory=list)
    numbering: dict[str, NumberingSpec] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    workflow: dict[str, str] = field(default_factory=dict)
    route_per_target: bool = False
    cited: set[tuple[str, str]] = field(default_factory=set)
    issues: list[LintIssue] = field(default_factory=list)
