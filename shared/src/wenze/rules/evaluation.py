"""Answering a decision for a date: facts checked against the inputs, the rules in force
walked table by table, their outputs merged, and every fired rule kept as the explanation.

This is the hot path (tens of thousands of decisions per second on one core): the rules in
force are found by bisect over the decision's period boundaries, conditions are closures
compiled at load, and result models are built without Pydantic's per-call validation since
everything in them was validated when the pack loaded.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from wenze.rules import deadlines
from wenze.rules.compiled import CompiledPack, Decision, InputSpec, OutputSpec, Rule
from wenze.rules.errors import (
    ConflictError,
    FactError,
    NoMatchError,
    NoRuleTextLoadedError,
    OutOfPeriodError,
    RulesError,
)
from wenze.rules.models import AppliedInterpretation, Evaluation, FiredRule
from wenze.rules.period import as_date

_M = TypeVar("_M", bound=BaseModel)


def evaluate_decision(
    pack: CompiledPack,
    decision: Decision,
    facts: Mapping[str, Any],
    on: date,
    calendar: Any,
    readings: Mapping[str, str] | None = None,
) -> Evaluation:
    """``decision`` for ``facts`` under the rules in force on ``on``, reading each interpretation
    point it names as ``readings`` (point → reading) says, else as the pack's default."""
    env = _coerce_facts(decision, facts, pack.vocabulary)
    applied = _apply_readings(pack, decision, readings, env) if decision.points else []
    segment = decision.segments[bisect.bisect_right(decision.bounds, on)]
    if not any(plan.rules for plan in segment):
        raise out_of_period(
            pack,
            f"decision {decision.name!r}",
            on,
            governing_documents(pack, decision.procedure, decision.cited_documents()),
            decision.procedure,
        )
    outcome: dict[str, Any] = {}
    # (table, rule, the values its condition read, what it set): the explanation's material.
    fired: list[tuple[str, Rule, tuple[Any, ...], dict[str, Any]]] = []
    in_force: dict[str, None] = {}
    for plan in segment:
        suppressed: set[str] | None = set() if plan.has_exceptions else None
        hit = False
        for test, rule, then in plan.rules:
            if not test(env):
                continue
            if suppressed is not None:
                if rule.id in suppressed:
                    continue
                if rule.exception_to is not None:
                    suppressed.add(rule.exception_to)
            hit = True
            set_now: dict[str, Any] = {}
            for key, spec, raw, is_deadline in then:
                value = deadlines.evaluate(raw, env, calendar) if is_deadline else raw
                set_now[key] = value
                if key in outcome:
                    _merge(outcome, spec, value, rule)
                else:
                    outcome[key] = list(value) if type(value) is list else value
                env[key] = outcome[key]
            in_force.update(rule.documents)
            # The values as they are now: a later rule may set an output this one read.
            fired.append((plan.table.name, rule, tuple(map(env.get, rule.condition.names)), set_now))
            if plan.first_hit:
                break
        if not hit and plan.required:
            raise NoMatchError(
                f"{pack.tenant}/{decision.name}: no rule of table {plan.table.name!r} matches these facts",
                table=plan.table.name,
                facts={k: _jsonable(v) for k, v in env.items()},
            )
    evaluation = _construct(
        Evaluation,
        {
            "tenant": pack.tenant,
            "decision": decision.name,
            "on": on,
            "outcome": outcome,
            "documents": list(in_force),
            "interpretations": applied,
        },
        fields_set={"tenant", "decision", "on", "outcome", "explanation", "documents", "interpretations"},
    )
    object.__setattr__(evaluation, "__pydantic_private__", {"_explain": lambda: _explanation(fired)})
    return evaluation


def _apply_readings(
    pack: CompiledPack, decision: Decision, readings: Mapping[str, str] | None, env: dict[str, Any]
) -> list[AppliedInterpretation]:
    """Put the parameters of the readings in force into ``env``, over any fact of the same name
    (the caller does not choose a reading by passing its values), and say which were applied."""
    applied = []
    for point_id in decision.points:
        point = pack.points[point_id]
        reading_id = (readings or {}).get(point_id, point.default)
        reading = point.reading(reading_id)
        if reading is None:
            raise RulesError(
                f"{pack.tenant}: interpretation point {point_id!r} has no reading {reading_id!r}; "
                f"it has {[r.id for r in point.readings]}",
                tenant=pack.tenant,
                point=point_id,
                reading=reading_id,
            )
        env.update(reading.parameters)
        applied.append(
            AppliedInterpretation(
                point=point.id,
                question=point.question,
                reading=reading.id,
                label=reading.label,
                parameters=dict(reading.parameters),
                default=reading.id == point.default,
                citations=[a.citation for a in point.articles],
            )
        )
    return applied


def _explanation(fired: list[tuple[str, Rule, tuple[Any, ...], dict[str, Any]]]) -> list[FiredRule]:
    return [
        _construct(
            FiredRule,
            {
                "table": table,
                "rule": rule.id,
                "description": rule.description,
                "facts": {name: _jsonable(value) for name, value in zip(rule.condition.names, read, strict=True)},
                "outputs": set_now,
                "citations": rule.citation_list,
            },
        )
        for table, rule, read, set_now in fired
    ]


def governing_documents(pack: CompiledPack, procedure: str | None, fallback: Iterable[str]) -> list[str]:
    """The documents a procedure rests on, else ``fallback``: what an out-of-period error lists."""
    if procedure is not None and procedure in pack.procedures:
        return list(pack.procedures[procedure]["documents"])
    return list(fallback)


def out_of_period(pack: CompiledPack, what: str, on: date, doc_ids: Iterable[str], procedure: str | None) -> RulesError:
    """Why nothing answers ``what`` on ``on``: a governing document whose text is not loaded,
    or no rule in force at all; either way naming the documents and their periods."""
    docs = [pack.documents[d] for d in dict.fromkeys(doc_ids)]
    listed = [
        {
            "document": d.id,
            "title": d.title,
            "in_force_from": d.in_force_from,
            "in_force_until": d.in_force_until,
            "text_available": d.text_available,
        }
        for d in docs
    ]
    for d in listed:
        for k in ("in_force_from", "in_force_until"):
            value = d[k]
            d[k] = value.isoformat() if isinstance(value, date) else None
    missing = [d for d in docs if not d.text_available and d.in_force_on(on)]
    names = "; ".join(f"{d.id} 《{d.title}》 {d.period_text()}" for d in docs)
    if missing:
        m = missing[0]
        return NoRuleTextLoadedError(
            f"{pack.tenant}: {what} on {on}: the governing document is {m.id} "
            f"({m.period_text()}), whose text is not loaded; no rule text exists for that date. "
            f"Documents: {names}",
            on=on,
            documents=listed,
            tenant=pack.tenant,
            procedure=procedure,
        )
    return OutOfPeriodError(
        f"{pack.tenant}: {what} on {on}: no rule in force on that date. Documents: {names}",
        on=on,
        documents=listed,
        tenant=pack.tenant,
        procedure=procedure,
    )


def _coerce_facts(
    decision: Decision, facts: Mapping[str, Any], vocabulary: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    """The facts as the decision's conditions read them, defaults filled in; ``FactError`` names
    the first fact that is missing or does not fit its declared input."""
    readers = decision.readers
    if readers is None:
        readers = decision.readers = [
            (name, spec.required, spec.default, _reader(decision.name, spec, vocabulary))
            for name, spec in decision.inputs.items()
        ]
    env: dict[str, Any] = {}
    get = facts.get
    for name, required, default, read in readers:
        value = get(name)
        if value is None:
            if required:
                raise FactError(f"{decision.name}: fact {name!r} is required", fact=name)
            value = default
            if value is None:
                continue
        env[name] = read(value)
    return env


def _reader(decision: str, spec: InputSpec, vocabulary: Mapping[str, Mapping[str, str]]) -> Any:
    """``_coerce`` for one input, with the commonest values (a code of its vocabulary, a boolean,
    a list of codes) taken without the walk through the types; anything else goes that way."""
    if spec.type == "code" and spec.vocab:
        known = vocabulary[spec.vocab]

        def code(value: Any) -> Any:
            if value.__class__ is str and value in known:
                return value
            return _coerce(decision, spec, value, vocabulary)

        return code
    if spec.type == "bool":
        return lambda value: value if value.__class__ is bool else _coerce(decision, spec, value, vocabulary)
    if spec.type == "codes" and spec.vocab:
        members = frozenset(vocabulary[spec.vocab])

        def codes(value: Any) -> Any:
            if value.__class__ in (list, tuple, set, frozenset):
                given = frozenset(value)
                if given <= members:
                    return given
            return _coerce(decision, spec, value, vocabulary)

        return codes
    return lambda value: _coerce(decision, spec, value, vocabulary)


def _construct(cls: type[_M], values: dict[str, Any], fields_set: set[str] | None = None) -> _M:
    """What ``model_construct`` does for a model with every field given and no extras,
    without its per-call field walk: the evaluator builds several models per decision and
    this was most of the time spent. Values are already valid (the pack is validated at load)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", fields_set if fields_set is not None else set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if all(isinstance(v, str) for v in value) else list(value)
    return value


def _coerce(decision: str, spec: InputSpec, value: Any, vocabulary: Mapping[str, Mapping[str, str]]) -> Any:
    def fail(msg: str) -> FactError:
        return FactError(f"{decision}: fact {spec.name!r}: {msg}", fact=spec.name, value=_jsonable(value))

    t = spec.type
    if t == "bool":
        if not isinstance(value, bool):
            raise fail("expects true or false")
        return value
    if t == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail("expects an integer")
        return value
    if t == "date":
        try:
            return as_date(value)
        except (TypeError, ValueError):
            raise fail("expects an ISO date") from None
    if t == "string":
        if not isinstance(value, str):
            raise fail("expects text")
        return value
    if t == "code":
        if spec.vocab and value not in vocabulary[spec.vocab]:
            raise fail(f"{value!r} is not one of {sorted(vocabulary[spec.vocab])}")
        return value
    if t == "codes":
        if not isinstance(value, list | tuple | set | frozenset):
            raise fail("expects a list")
        if spec.vocab:
            unknown = [v for v in value if v not in vocabulary[spec.vocab]]
            if unknown:
                raise fail(f"{unknown} not in {sorted(vocabulary[spec.vocab])}")
        return frozenset(value)
    if t == "records":
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise fail("expects a list of mappings")
        return [
            {k: (as_date(v) if k.endswith("_on") and isinstance(v, str) else v) for k, v in item.items()}
            for item in value
        ]
    raise fail(f"unknown input type {t!r}")


def _merge(outcome: dict[str, Any], spec: OutputSpec, value: Any, rule: Rule) -> None:
    key = spec.name
    if key not in outcome:
        outcome[key] = list(value) if isinstance(value, list) else value
        return
    current = outcome[key]
    how = spec.merge
    if how == "union":
        # A new list, never appended to in place: an explanation keeps the value a rule read.
        added = [item for item in (value if isinstance(value, list) else [value]) if item not in current]
        if added:
            outcome[key] = current + added
    elif how == "unique":
        if current != value:
            raise ConflictError(
                f"rule {rule.id!r} sets {key!r} to {value!r}, an earlier rule set {current!r}",
                output=key,
                rule=rule.id,
            )
    elif how in ("max", "min"):
        a, b = _sort_key(current), _sort_key(value)
        if (how == "max" and b > a) or (how == "min" and b < a):
            outcome[key] = value
    elif how == "any":
        outcome[key] = bool(current) or bool(value)
    elif how == "all":
        outcome[key] = bool(current) and bool(value)
    elif how == "last":
        outcome[key] = value


def _sort_key(value: Any) -> Any:
    # Deadlines compare by due date (the longer after-effect wins under `max`).
    if isinstance(value, dict) and "due" in value:
        return value["due"] or ""
    return value
