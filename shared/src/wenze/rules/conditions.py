"""The structured condition language, compiled to closures once at load time.

A condition is data, e.g. ``{fact: cadre_level, in: [city_managed]}``, ``{all: [...]}``,
``{any: [...]}``, ``{not: ...}``, ``{always: true}``, or
``{count: {fact: matters, where: ...}, gte: 2}``. Compiling it to a Python closure keeps
evaluation to a few attribute lookups per rule, which is what makes tens of thousands of
routing decisions per second possible, while packs never contain executable code.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any, cast

from dateutil.relativedelta import relativedelta

Env = Mapping[str, Any]
Predicate = Callable[[Env], bool]

COMPARISONS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte")
LIST_OPS = ("contains", "contains_any", "contains_all", "subset_of", "len_gte", "len_lte")
FACT_OPS = (*COMPARISONS, *LIST_OPS, "is_set", "within")
COMBINATORS = ("all", "any", "not", "always", "count")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class Compiled:
    """A compiled condition: the predicate and the fact names it may read (for the trace)."""

    test: Predicate
    names: tuple[str, ...]
    # (fact, operator, literal) triples, so the linter can check literals against the
    # vocabulary the fact is declared over without re-walking the raw YAML.
    literals: tuple[tuple[str, str, Any], ...]


def period_delta(spec: Mapping[str, int]) -> relativedelta:
    unknown = set(spec) - {"days", "months", "years"}
    if unknown or not spec:
        raise ConditionError(f"a period is {{days|months|years: n}}, got {dict(spec)!r}")
    return relativedelta(
        years=int(spec.get("years", 0)),
        months=int(spec.get("months", 0)),
        days=int(spec.get("days", 0)),
    )


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | set | frozenset) and not value)


def _fact_test(name: str, op: str, arg: Any, node: Mapping[str, Any]) -> Predicate:
    # Every comparison is False when the fact is absent (None): a rule never fires on a
    # fact nobody supplied, except through ``is_set: false`` which asks exactly that.
    if op == "eq":
        return lambda env: env.get(name) == arg
    if op == "ne":
        return lambda env: (v := env.get(name)) is not None and v != arg
    if op in ("in", "not_in"):
        if not isinstance(arg, list):
            raise ConditionError(f"{op} takes a list, got {arg!r}")
        values = frozenset(arg)
        if op == "in":
            return lambda env: env.get(name) in values
        return lambda env: (v := env.get(name)) is not None and v not in values
    if op in ("gt", "gte", "lt", "lte"):
        bound = _as_date(arg) if isinstance(arg, str) else arg
        if op == "gt":
            return lambda env: (v := env.get(name)) is not None and v > bound
        if op == "gte":
            return lambda env: (v := env.get(name)) is not None and v >= bound
        if op == "lt":
            return lambda env: (v := env.get(name)) is not None and v < bound
        return lambda env: (v := env.get(name)) is not None and v <= bound
    if op == "contains":
        return lambda env: arg in (env.get(name) or ())
    if op in ("contains_any", "contains_all", "subset_of"):
        if not isinstance(arg, list):
            raise ConditionError(f"{op} takes a list, got {arg!r}")
        values = frozenset(arg)
        if op == "contains_any":
            return lambda env: not values.isdisjoint(env.get(name) or ())
        if op == "contains_all":
            return lambda env: values.issubset(env.get(name) or ())
        # An empty or absent list is not "a subset" here: the rule would otherwise fire
        # on a matter that names nothing at all.
        return lambda env: bool(v := env.get(name)) and values.issuperset(v or ())
    if op == "len_gte":
        return lambda env: len(env.get(name) or ()) >= arg
    if op == "len_lte":
        return lambda env: (v := env.get(name)) is not None and len(v) <= arg
    if op == "is_set":
        # Absent, empty text and empty collections all count as "not set".
        if arg:
            return lambda env: not _blank(env.get(name))
        return lambda env: _blank(env.get(name))
    if op == "within":
        # {fact: earlier, within: {years: 1}, of: later}: later lies in [earlier,
        # earlier + period], both ends included ("within one year" reaches the anniversary).
        other = node.get("of")
        if not isinstance(other, str):
            raise ConditionError("within needs `of: <date fact>`")
        delta = period_delta(arg)

        def within(env: Env) -> bool:
            start, end = _as_date(env.get(name)), _as_date(env.get(other))
            return start is not None and end is not None and start <= end <= start + delta

        return within
    raise ConditionError(f"unknown operator {op!r}")


def _chain(tests: tuple[Predicate, ...], *, conjunction: bool) -> Predicate:
    """``a and b and …`` (or ``a or b or …``) as nested closures, left to right, short-circuiting.

    A generator inside ``all()``/``any()`` cost more per evaluation than the tests it ran."""
    if conjunction:
        return reduce(lambda first, then: lambda env: first(env) and then(env), tests)
    return reduce(lambda first, then: lambda env: first(env) or then(env), tests)


def compile_condition(node: Any) -> Compiled:
    if node is None:
        return Compiled(lambda env: True, (), ())
    if not isinstance(node, Mapping):
        raise ConditionError(f"a condition is a mapping, got {node!r}")
    if "always" in node:
        if node["always"] is not True or len(node) != 1:
            raise ConditionError("write `always: true` alone")
        return Compiled(lambda env: True, (), ())
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        if len(node) != 1 or not isinstance(node[key], list) or not node[key]:
            raise ConditionError(f"`{key}` takes a non-empty list and nothing else")
        parts = [compile_condition(part) for part in node[key]]
        tests = tuple(p.test for p in parts)
        names = tuple(dict.fromkeys(n for p in parts for n in p.names))
        literals = tuple(lit for p in parts for lit in p.literals)
        return Compiled(_chain(tests, conjunction=key == "all"), names, literals)
    if "not" in node:
        if len(node) != 1:
            raise ConditionError("`not` takes one condition and nothing else")
        inner = compile_condition(node["not"])
        return Compiled(lambda env: not inner.test(env), inner.names, inner.literals)
    if "count" in node:
        return _compile_count(node)
    if "fact" in node:
        name = node["fact"]
        ops = [k for k in node if k not in ("fact", "of")]
        if not isinstance(name, str) or len(ops) != 1 or ops[0] not in FACT_OPS:
            raise ConditionError(f"a fact test is {{fact: name, <one of {FACT_OPS}>: value}}: {node!r}")
        op = ops[0]
        names = (name, node["of"]) if op == "within" else (name,)
        return Compiled(_fact_test(name, op, node[op], node), names, ((name, op, node[op]),))
    raise ConditionError(f"unrecognised condition {dict(node)!r}")


def _compile_count(node: Mapping[str, Any]) -> Compiled:
    spec = node["count"]
    ops = [k for k in node if k != "count"]
    if not isinstance(spec, Mapping) or "fact" not in spec or len(ops) != 1:
        raise ConditionError("count is {count: {fact: list, where: cond}, gte|gt|eq|lte|lt: n}")
    name = spec["fact"]
    where = compile_condition(spec.get("where"))
    op, bound = ops[0], node[ops[0]]
    compare: dict[str, Callable[[int], bool]] = {
        "gte": lambda n: n >= bound,
        "gt": lambda n: n > bound,
        "eq": lambda n: n == bound,
        "lte": lambda n: n <= bound,
        "lt": lambda n: n < bound,
    }
    if op not in compare or not isinstance(bound, int):
        raise ConditionError(f"count compares with gte|gt|eq|lte|lt and an integer: {node!r}")
    check = compare[op]
    item_test = where.test

    def counted(env: Env) -> bool:
        items = env.get(name) or ()
        # Items see their own fields first, then the matter's facts, so a where-clause can
        # compare an item's date with the matter's date.
        # (The facts are never written through the chain; ChainMap only wants mutable types.)
        hits: int = sum(1 for item in items if item_test(ChainMap(item, cast(MutableMapping[str, Any], env))))
        return check(hits)

    # Names read inside `where` are item fields; only the list itself is a fact of the matter.
    return Compiled(counted, (name,), where.literals)
