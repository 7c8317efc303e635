"""Explain one decision of the tenant's pack: a form from its declared inputs, and the outcome
for the facts given with the rules that fired, their articles and the readings of the
interpretation points it depended on. The pack is evaluated in the console itself (it loads the
packs for their labels already); the readings in force are the tenant's choices, kept by
routing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from wenze.cli.client import ProblemError, Unreachable
from wenze.rules.compiled import OutputSpec
from wenze.rules.errors import (
    ConflictError,
    DeadlineUncomputableError,
    FactError,
    NoMatchError,
    OutOfPeriodError,
    RulesError,
)
from wenze.rules.models import Evaluation, FiredRule
from wenze.rules.pack import RulePack
from wenze.rules.readings import ReadingChoice, readings_in_force
from wenze_console import labels
from wenze_console.rules.schemas import (
    FACT_FIELD,
    FORM_TYPES,
    READING_FIELD,
    FieldRefused,
    facts_from,
    readings_from,
    relevant_date,
)
from wenze_console.web import TenantPage

TYPE_HINTS = {"int": "整数", "codes": "可多选", "records": "记录列表：按规则包默认值（无）计"}


@dataclass
class InputField:
    name: str
    field: str
    label: str
    type: str
    required: bool
    options: list[tuple[str, str]]
    value: Any
    hint: str
    offered: bool


@dataclass
class PointField:
    id: str
    field: str
    question: str
    readings: list[tuple[str, str]]
    default: str
    in_force: str
    chosen: str


@dataclass
class OutcomeLine:
    name: str
    label: str
    value: str


@dataclass
class FiredView:
    """A rule that fired, with what it set in words."""

    rule: FiredRule
    outputs: list[OutcomeLine]


@dataclass
class ExplainView:
    decisions: list[tuple[str, str]]
    decision: str | None = None
    description: str = ""
    on: dt.date | None = None
    inputs: list[InputField] = field(default_factory=list)
    points: list[PointField] = field(default_factory=list)
    points_note: str = ""
    asked: bool = False
    refused: list[str] = field(default_factory=list)
    evaluation: Evaluation | None = None
    outcome: list[OutcomeLine] = field(default_factory=list)
    fired: list[FiredView] = field(default_factory=list)


def _options(pack: RulePack, vocab: str | None) -> list[tuple[str, str]]:
    return list(pack.vocabulary.get(vocab, {}).items()) if vocab else []


def value_words(pack: RulePack, spec_type: str, vocab: str | None, value: Any) -> str:
    """An input's or output's value in words: codes read as the pack's labels."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "—"
    if isinstance(value, list | tuple | set | frozenset):
        words = [value_words(pack, spec_type, vocab, v) for v in value]
        separator = "；" if any(isinstance(v, dict) for v in value) else "、"
        return separator.join(words) if words else "（无）"
    if isinstance(value, dict):
        if "due" in value:
            return _deadline_words(value)
        if "actor" in value or "action" in value:
            return _step_words(pack, vocab, value)
        parts = [f"{labels.fact_label(pack, str(k))}：{value_words(pack, '', vocab, v)}" for k, v in value.items()]
        return "；".join(parts)
    if isinstance(value, str):
        vocabularies = (vocab, "offices", "bodies") if vocab else ("offices", "bodies", "measures")
        return labels.pack_label(pack, tuple(v for v in vocabularies if v), value)
    return str(value)


DEADLINE_UNITS = {"calendar_days": "日", "working_days": "个工作日", "months": "个月", "years": "年"}


def _deadline_words(deadline: dict[str, Any]) -> str:
    """A computed deadline: its due day, and how it was counted."""
    unit = DEADLINE_UNITS.get(str(deadline.get("kind")), "")
    counted = f"（自{deadline['start']}起{deadline['amount']}{unit}）" if deadline.get("start") and unit else ""
    return f"{deadline['due']}{counted}"


def _step_words(pack: RulePack, vocab: str | None, step: dict[str, Any]) -> str:
    """A step of a sequence: what is done, and by whom."""
    who = [value_words(pack, "code", vocab, step["actor"])] if step.get("actor") else []
    who += [value_words(pack, "code", vocab, other) for other in step.get("with") or []]
    action = str(step.get("action") or "")
    return f"{action}（{'、'.join(who)}）" if who else action


def _readings_in_force(page: TenantPage, on: dt.date) -> tuple[dict[str, str], str]:
    """The tenant's chosen readings for ``on`` from routing, or none (the pack's defaults) with
    a note saying why."""
    try:
        with page.routing() as routing:
            points = routing.points()["points"]
    except ProblemError as error:
        return {}, "未能读取本委选定的解读（" + "；".join(page.refusal(error)) + "），以下按规则包默认解读"
    except Unreachable:
        return {}, "分办服务暂不可达：未能读取本委选定的解读，以下按规则包默认解读"
    choices = [
        ReadingChoice(c["point"], c["reading"], dt.date.fromisoformat(c["effective_from"]), c["version"])
        for p in points
        for c in p.get("choices") or []
    ]
    return readings_in_force(choices, on), ""


def _period_words(document: dict[str, Any]) -> str:
    until = f"，{document['in_force_until']}失效" if document.get("in_force_until") else ""
    return f"{document['title']}（{document.get('in_force_from') or '施行日不详'}起{until}）"


def _refusal_words(pack: RulePack, error: RulesError) -> list[str]:
    if isinstance(error, FactError):
        fact = str(error.detail.get("fact") or "")
        missing = "required" in error.message
        return [f"{labels.fact_label(pack, fact)}：{'必须填写' if missing else '取值不符合该项要求'}"]
    if isinstance(error, OutOfPeriodError):
        documents = error.detail.get("documents") or []
        periods = "；".join(_period_words(d) for d in documents)
        return [f"{error.detail.get('on')} 没有施行中的规则可作此判断" + (f"：{periods}" if periods else "")]
    if isinstance(error, NoMatchError):
        return ["所填事实不符合任何一条规则：规则包要求必须作出结论的判断表没有规则适用"]
    if isinstance(error, ConflictError):
        return ["适用的规则得出相互矛盾的结论，请核对所填事实"]
    if isinstance(error, DeadlineUncomputableError):
        return ["工作日历未涵盖计算期限所需的年份"]
    return ["无法作出判断：规则包拒绝了所填事实"]


def explain(page: TenantPage, params: QueryParams) -> tuple[ExplainView, int]:
    """The page for ``params``: the decisions to pick from, the chosen one's form, and its
    outcome once the form has been sent (``run``). The status is 422 when the facts are refused."""
    pack = page.pack
    view = ExplainView(decisions=[(d.name, labels.decision_label(d.name)) for d in pack.decisions()])
    name = (params.get("decision") or "").strip()
    if not name:
        return view, 200
    known = {d.name: d for d in pack.decisions()}
    if name not in known:
        view.refused = ["没有这项判断"]
        return view, 404
    info = known[name]
    decision = pack.decision(name)
    view.decision, view.description = name, labels.decision_label(name)
    view.asked = params.get("run") == "1"
    status = 200
    try:
        view.on = relevant_date(params, pack.today())
    except FieldRefused as error:
        view.on, view.refused, status = pack.today(), [f"认定日期：{error.reason}"], 422
    in_force, view.points_note = _readings_in_force(page, view.on) if info.points else ({}, "")
    for point_id in info.points:
        point = pack.point(point_id)
        current = in_force.get(point_id, point.default)
        asked_for = params.get(READING_FIELD + point_id)
        # A link from an outcome (a matter's execution, say) names the reading it was read under,
        # so the fresh form offers that one.
        linked = asked_for in {r.id for r in point.readings}
        view.points.append(
            PointField(
                id=point_id,
                field=READING_FIELD + point_id,
                question=" ".join(point.question.split()),
                readings=[(r.id, r.label) for r in point.readings],
                default=point.default,
                in_force=current,
                chosen=(asked_for or current) if view.asked or linked else current,
            )
        )
    for input_name, spec in decision.inputs.items():
        key = FACT_FIELD + input_name
        given: Any = params.getlist(key) if spec.type == "codes" else params.get(key)
        if not view.asked:
            # A fresh form shows the pack's defaults, so what is sent unchanged is what applies.
            given = _shown(spec.default)
        view.inputs.append(
            InputField(
                name=input_name,
                field=key,
                label=labels.fact_label(pack, input_name),
                type=spec.type,
                required=spec.required,
                options=_options(pack, spec.vocab),
                value=given,
                hint=TYPE_HINTS.get(spec.type, ""),
                offered=spec.type in FORM_TYPES,
            )
        )
    if not view.asked or view.refused:
        return view, status
    try:
        facts = facts_from(params, decision.inputs)
        readings = readings_from(params, info.points)
        for shown in view.points:
            if shown.id in readings and readings[shown.id] not in dict(shown.readings):
                raise FieldRefused(shown.id, "没有这种解读")
        view.evaluation = pack.evaluate(name, facts, view.on, readings={**in_force, **readings})
    except FieldRefused as error:
        view.refused = [f"{labels.fact_label(pack, error.fact)}：{error.reason}"]
        return view, 422
    except RulesError as error:
        view.refused = _refusal_words(pack, error)
        return view, 422
    outputs = decision.outputs
    view.outcome = _lines(pack, outputs, view.evaluation.outcome)
    view.fired = [FiredView(rule, _lines(pack, outputs, rule.outputs)) for rule in view.evaluation.explanation]
    return view, 200


def _shown(default: Any) -> Any:
    """A default as the form's field holds it."""
    if isinstance(default, bool):
        return "true" if default else "false"
    if default is None or isinstance(default, list):
        return default
    return str(default)


def _lines(pack: RulePack, outputs: dict[str, OutputSpec], values: dict[str, Any]) -> list[OutcomeLine]:
    lines = []
    for name, value in values.items():
        spec = outputs.get(name)
        words = value_words(pack, spec.type if spec else "", spec.vocab if spec else None, value)
        lines.append(OutcomeLine(name, labels.fact_label(pack, name), words))
    return lines
