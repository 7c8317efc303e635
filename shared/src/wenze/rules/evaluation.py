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
from wenze.rules.models import Evaluation, FiredRule
from wenze.rules.period import as_date

_M = TypeVar("_M", bound=BaseModel)


def evaluate_decision(
    pack: CompiledPack, decision: Decision, facts: Mapping[str, Any], on: date, calendar: Any
) -> Evaluation:
    """``decision`` for ``facts`` under the rules in force on ``on``."""
    env = _coerce_facts(decision, facts, pack.vocabulary)
    segment = decision.segments[bisect.bisect_right(decision.bounds, on)]
    if not any(rules for _, rules in segment):
        raise out_of_period(
            pack,
            f"decision {decision.name!r}",
            on,
            governing_documents(pack, decision.procedure, decision.cited_documents()),
            decision.procedure,
        )
    outcome: dict[str, Any] = {}
    fired: list[FiredRule] = []
    outputs = decision.outputs
    in_force: dict[str, None] = {}
    for table, rules in segment:
        suppressed: set[str] = set()
        hit = False
        for rule in rules:
            if rule.id in suppressed or not rule.condition.test(env):
                continue
            hit = True
            if rule.exception_to is not None:
                suppressed.add(rule.exception_to)
            set_now: dict[str, Any] = {}
            for key, raw in rule.then.items():
                spec = outputs[key]
                value = deadlines.evaluate(raw, env, calendar) if spec.type == "deadline" else raw
                set_now[key] = value
                _merge(outcome, spec, value, rule)
                env[key] = outcome[key]
            for c in rule.citations:
                in_force[c.document] = None
            fired.append(
                _construct(
                    FiredRule,
                    {
                        "table": table.name,
                        "rule": rule.id,
                        "description": rule.description,
                        "facts": {n: _jsonable(env.get(n)) for n in rule.condition.names},
                        "outputs": set_now,
                        "citations": rule.citation_list,
                    },
                )
            )
            if table.hit == "first":
                break
        if not hit and table.required:
            raise NoMatchError(
                f"{pack.tenant}/{decision.name}: no rule of table {table.name!r} matches these facts",
                table=table.name,
                facts={k: _jsonable(v) for k, v in env.items()},
            )
    return _construct(
        Evaluation,
        {
            "tenant": pack.tenant,
            "decision": decision.name,
            "on": on,
            "outcome": outcome,
            "explanation": fired,
            "documents": list(in_force),
        },
    )


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
    env: dict[str, Any] = {}
    for name, spec in decision.inputs.items():
        value = facts.get(name)
        if value is None:
            if spec.required:
                raise FactError(f"{decision.name}: fact {name!r} is required", fact=name)
            value = spec.default
            if value is None:
                continue
        env[name] = _coerce(decision.name, spec, value, vocabulary)
    return env


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """What ``model_construct`` does for a model with every field given and no extras,
    without its per-call field walk: the evaluator builds several models per decision and
    this was most of the time spent. Values are already valid (the pack is validated at load)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
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
        for item in value if isinstance(value, list) else [value]:
            if item not in current:
                current.append(item)
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
