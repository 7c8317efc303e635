"""The YAML test cases that ship beside each pack, and how they are checked.

Used by pytest (one parametrised test per case) and by ``wenze rules test``. A case states
facts and a date and what must come out; comparison is deliberately partial (only the
outputs a case names are checked) so a case pins the behaviour it is about and stays valid
when unrelated outputs are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from wenze.rules import get_pack, list_tenants, rulesets_dir
from wenze.rules.counting import CountedRecord
from wenze.rules.errors import RulesError
from wenze.rules.loading import schema_validator
from wenze.rules.models import LintIssue
from wenze.rules.pack import RulePack
from wenze.rules.yamlio import load_yaml, yaml_error_location


@dataclass(frozen=True)
class Case:
    tenant: str
    file: str
    index: int
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("name", f"case {self.index}"))

    @property
    def id(self) -> str:
        return f"{self.tenant}/{self.file}::{self.name}"


@dataclass
class CaseResult:
    case: Case
    failures: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def load_cases(tenant: str) -> list[Case]:
    """Every case of a tenant; a case file failing its schema yields one failing pseudo-case."""
    cases: list[Case] = []
    for path in sorted((rulesets_dir() / tenant / "cases").glob("*.yaml")):
        try:
            data = load_yaml(path)
        except yaml.YAMLError as exc:
            # One broken file fails as a case of its own; the other files still run.
            location, message = yaml_error_location(exc)
            cases.append(Case(tenant, path.name, 0, {"name": "yaml", "schema_errors": [f"{location}: {message}"]}))
            continue
        errors = list(schema_validator("cases").iter_errors(data))
        if errors:
            bad = {
                "name": "schema",
                "schema_errors": [f"{'/'.join(map(str, e.path)) or '-'}: {e.message}" for e in errors],
            }
            cases.append(Case(tenant, path.name, 0, bad))
            continue
        cases.extend(Case(tenant, path.name, i, c) for i, c in enumerate(data["cases"]))
    return cases


def all_cases(tenants: list[str] | None = None) -> list[Case]:
    return [c for t in (tenants or list_tenants()) for c in load_cases(t)]


def _compare_output(pack: RulePack, decision: str, key: str, expected: Any, actual: Any) -> str | None:
    spec = pack.decision(decision).outputs.get(key)
    kind = spec.type if spec else None
    if kind == "codes" and isinstance(expected, list) and isinstance(actual, list):
        ok = set(expected) == set(actual) and len(expected) == len(actual)
    elif kind == "steps" and isinstance(expected, list) and all(isinstance(e, str) for e in expected):
        ok = isinstance(actual, list) and [s.get("step") for s in actual] == expected
    elif kind == "deadline" and isinstance(expected, str):
        ok = isinstance(actual, dict) and actual.get("due") == expected
    elif isinstance(expected, dict) and isinstance(actual, dict):
        ok = all(actual.get(k) == v for k, v in expected.items())
    else:
        ok = expected == actual
    return None if ok else f"outcome[{key}]: expected {expected!r}, got {actual!r}"


def _check_error(exc: RulesError, expect: dict[str, Any]) -> list[str]:
    failures = []
    if exc.code != expect["error"]:
        failures.append(f"expected error {expect['error']!r}, got {exc.code!r}: {exc}")
    for text in expect.get("error_mentions", []):
        if text not in str(exc):
            failures.append(f"error message does not mention {text!r}: {exc}")
    return failures


def run_case(case: Case) -> CaseResult:
    result = CaseResult(case)
    data = case.data
    if "schema_errors" in data:
        result.failures.extend(data["schema_errors"])
        return result
    expect: dict[str, Any] = data["expect"]
    try:
        pack = get_pack(case.tenant)
        if "intake_sources" in data:
            q = data["intake_sources"]
            sources = pack.intake_sources(date.fromisoformat(q["date"]), procedure=q.get("procedure"))
            codes = [s.code for s in sources]
            if "codes" in expect and codes != expect["codes"]:
                result.failures.append(f"sources: expected {expect['codes']}, got {codes}")
            texts = {s.citation.text for s in sources}
            result.failures += [f"no source cites {c!r}" for c in expect.get("citations", []) if c not in texts]
        elif "workflow" in data:
            q = data["workflow"]
            choice = pack.select_procedure(q["facts"], date.fromisoformat(q["date"]))
            if "procedure" in expect and choice.procedure != expect["procedure"]:
                result.failures.append(f"procedure: expected {expect['procedure']!r}, got {choice.procedure!r}")
            bound = pack.workflows[choice.procedure].steps if choice.procedure in pack.workflows else {}
            result.failures += [
                f"step {step}: expected {name!r}, bound {bound.get(step)!r}"
                for step, name in expect.get("steps", {}).items()
                if bound.get(step) != name
            ]
            texts = {c.text for c in choice.citations}
            result.failures += [
                f"the choice does not cite {c!r}" for c in expect.get("citations", []) if c not in texts
            ]
        elif "number" in data:
            q = data["number"]
            text = pack.number(q["kind"], q["year"], q["seq"], date.fromisoformat(q["date"]))
            if text != expect.get("text"):
                result.failures.append(f"number: expected {expect.get('text')!r}, got {text!r}")
        else:
            on = date.fromisoformat(data["date"])
            readings: dict[str, str] = dict(data.get("reading", {}))
            if "counted" in data:
                # A counted trigger: the facts are built from the counted decisions as the
                # counting service builds them (wenze.rules.counting).
                records = [
                    CountedRecord(**{**r, "decided_on": date.fromisoformat(str(r["decided_on"]))})
                    for r in data["counted"]
                ]
                evaluation = pack.evaluate_counted(pack.counted_trigger(data["decision"]), on, records, readings)
            else:
                evaluation = pack.evaluate(data["decision"], data["facts"], on, readings=readings)
            result.fired = evaluation.fired
            outcome = evaluation.outcome
            for key, value in expect.get("outcome", {}).items():
                if key not in outcome:
                    result.failures.append(f"outcome[{key}] missing; outcome has {sorted(outcome)}")
                elif (msg := _compare_output(pack, data["decision"], key, value, outcome[key])) is not None:
                    result.failures.append(msg)
            if expect.get("exact") and set(outcome) != set(expect.get("outcome", {})):
                extra = sorted(set(outcome) - set(expect.get("outcome", {})))
                result.failures.append(f"outcome has unexpected keys {extra}")
            result.failures += [
                f"outcome[{k}] should be absent, is {outcome[k]!r}" for k in expect.get("absent", []) if k in outcome
            ]
            result.failures += [
                f"rule {r!r} did not fire (fired: {result.fired})"
                for r in expect.get("fired", [])
                if r not in result.fired
            ]
            result.failures += [
                f"rule {r!r} fired but should not" for r in expect.get("not_fired", []) if r in result.fired
            ]
            applied = {i.point: i.reading for i in evaluation.interpretations}
            result.failures += [
                f"interpretation {point}: expected reading {reading!r}, explanation names {applied.get(point)!r}"
                for point, reading in expect.get("interpretations", {}).items()
                if applied.get(point) != reading
            ]
            cited = {c.text for c in evaluation.citations}
            result.failures += [
                f"citation {c!r} missing (cited: {sorted(cited)})"
                for c in expect.get("citations", [])
                if c not in cited
            ]
        if "error" in expect:
            result.failures.append(f"expected error {expect['error']!r}, but evaluation succeeded")
    except RulesError as exc:
        if "error" in expect:
            result.failures += _check_error(exc, expect)
        else:
            result.failures.append(f"unexpected {exc.code}: {exc}")
    return result


def case_files_dir(tenant: str) -> Path:
    return rulesets_dir() / tenant / "cases"


def readings_exercised(cases: list[Case], pack: RulePack) -> set[tuple[str, str]]:
    """``(point, reading)`` pairs some case evaluates a decision under: the reading a case
    selects, else the default, for every point its decision names."""
    exercised: set[tuple[str, str]] = set()
    for case in cases:
        name = case.data.get("decision")
        if not name or "schema_errors" in case.data or "expect" not in case.data:
            continue
        try:
            points = pack.decision(name).points
        except RulesError:
            continue
        chosen = case.data.get("reading", {})
        known = {p.id: p for p in pack.points}
        for point in points:
            if point in known:
                exercised.add((point, chosen.get(point, known[point].default)))
    return exercised


def unexercised_readings(tenant: str, pack: RulePack) -> list[LintIssue]:
    """A reading of a point some decision depends on that no case evaluates under: an outcome a
    commission may choose that nothing shows."""
    exercised = readings_exercised(load_cases(tenant), pack)
    return [
        LintIssue(
            tenant=tenant,
            file="cases",
            location=f"interpretation_points ({point.id})",
            message=(
                f"reading {reading.id!r} is exercised by no case; add one with reading: {{{point.id}: {reading.id}}}"
            ),
        )
        for point in pack.points
        if point.affects
        for reading in point.readings
        if (point.id, reading.id) not in exercised
    ]
