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
from wenze.rules.models import Citation, DecisionInfo, DocumentInfo, InterpretationPoint, LintIssue
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
    # Optional, asked before any target is routed: whether the whole matter's facts decide.
    "matter_routing": {"route_whole_matter": ("bool",)},
    "routing": {"handler": ("code",)},
    "recommendation": {"permitted_measures": ("codes",), "proposal_valid": ("bool",)},
    "factors": {},
    "joint_review": {"joint_review_required": ("bool",)},
    "decision": {"decided_by": ("code", "codes"), "hearing_required": ("bool",)},
    "simplified_procedure": {"simplified_allowed": ("bool",)},
    # Sanction execution (docs/execution.md): the steps of carrying out one measure, whose
    # deadline-typed outputs are the deadlines to track; the after-effect periods, read by
    # their names (no_promotion_until, no_equivalent_post_until, effect_until,
    # no_appraisal_honours_this_year, loses_*_eligibility); and who hears an appeal, within
    # which window (an optional appeal_until deadline) and whether it suspends execution.
    "execution": {"steps": ("steps",)},
    "after_effects": {},
    "appeal": {"appeal_allowed": ("bool",), "heard_by": ("code", "codes"), "suspends_execution": ("bool",)},
    # The reporting duties (monthly figures, summaries, half-year analysis): deadlines whose
    # names the reporting service reads where a pack gives them.
    "reporting": {},
}

# A pack may hand the choice of a matter's procedure to a decision of its own; the services
# read this output of it.
SELECTION_OUTPUT = "procedure"

# Outputs a bound decision may declare; where it does, the services read them under these
# names and types: whether a recommendation or decision must name a measure, and the order
# in which the approvals before a decision are given.
WORKFLOW_OPTIONAL_OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "recommendation": {"measures_required": ("bool",)},
    "decision": {
        "approved_by": ("codes",),
        "approval_sequence": ("steps",),
        "copy_to": ("codes",),
        "copy_due": ("deadline",),
    },
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
    # The documents it cites, in order, as the evaluator collects those in force.
    documents: dict[str, None] = field(default_factory=dict)


@dataclass
class Table:
    name: str
    hit: str
    required: bool
    rules: list[Rule]


@dataclass(frozen=True)
class TablePlan:
    """A table as the evaluator walks it for one period segment: the rules in force, each as
    ``(test, rule, outputs)`` with ``outputs`` its ``then`` as ``(name, spec, value, is_deadline)``,
    so that a walk reads tuples rather than attributes."""

    table: Table
    first_hit: bool
    required: bool
    has_exceptions: bool
    rules: tuple[tuple[Any, Rule, tuple[tuple[str, OutputSpec, Any, bool], ...]], ...]


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
    segments: list[list[TablePlan]] = field(default_factory=list)
    # Per input (name, required, default, coerce), built on the first evaluation.
    readers: list[tuple[str, bool, Any, Any]] | None = None
    # The interpretation points the outcome depends on; their parameters are facts.
    points: tuple[str, ...] = ()

    def info(self) -> DecisionInfo:
        def kind(t: str, vocab: str | None) -> str:
            return f"{t}<{vocab}>" if vocab else t

        return DecisionInfo(
            name=self.name,
            description=self.description,
            procedure=self.procedure,
            inputs={n: kind(s.type, s.vocab) for n, s in self.inputs.items()},
            outputs={n: kind(s.type, s.vocab) for n, s in self.outputs.items()},
            points=list(self.points),
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


@dataclass(frozen=True)
class CountedTrigger:
    """A decision the platform evaluates over the decisions it counted for one organisation in
    one window, and the matter it opens when the decision says so (``counted_triggers``)."""

    decision: str
    # A window kind (``calendar_year``, ``rolling_year``), or ``None`` where the parameter
    # ``window_parameter`` of an interpretation point gives it.
    window: str | None
    window_start_fact: str
    sanctions_fact: str | None
    major_cases_fact: str | None
    fires_when: str
    triggers_output: str
    source: str
    summary: str
    # Each: name (with ``{organisation}``), and optionally sector and org_level codes.
    targets: tuple[dict[str, str], ...]
    window_parameter: str | None = None


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


# Who a notice goes to, beyond the pack's own offices and bodies: parties the matter or the
# event names (the unit that raised the matter, its handler and copied offices, the person
# concerned, the office an execution deadline belongs to).
NOTICE_ROLES = frozenset({"originating_unit", "handling_office", "copied_offices", "person_concerned", "event_office"})


@dataclass
class NoticeSpec:
    """One duty to tell: on ``event``, the notice ``notice`` goes to ``to``, as ``citation`` says."""

    event: str
    notice: str
    to: tuple[str, ...]
    citation: Citation
    period: Period
    measure_in: str | None = None
    description: str = ""


@dataclass
class Workflow:
    """The decisions that drive one procedure through routing and review (docs/workflow.md)."""

    procedure: str
    steps: dict[str, str]
    route_per_target: bool = False


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
    # Procedure → its workflow, in the pack's order; the first is the default procedure.
    workflows: dict[str, Workflow] = field(default_factory=dict)
    procedure_selection: str | None = None
    notices: list[NoticeSpec] = field(default_factory=list)
    counted_triggers: list[CountedTrigger] = field(default_factory=list)
    points: dict[str, InterpretationPoint] = field(default_factory=dict)
    # Parameter name → the point whose readings set it.
    parameters: dict[str, str] = field(default_factory=dict)
    cited: set[tuple[str, str]] = field(default_factory=set)
    issues: list[LintIssue] = field(default_factory=list)
