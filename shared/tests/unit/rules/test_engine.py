"""Engine semantics on a small synthetic pack: periods and repeal, missing rule text,
exceptions, merge policies, counting and date windows, and what the linter catches."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from wenze.rules import (
    ConflictError,
    NoRuleTextLoadedError,
    OutOfPeriodError,
    PackError,
    clear_cache,
    get_pack,
    lint_pack,
    load_pack,
)
from wenze.rules.conditions import ConditionError, compile_condition

PACK = """
tenant: demo
title: demo
vocabulary:
  offices:
    - {code: a, label: 甲室}
    - {code: b, label: 乙室}
procedures:
  p: {label: 程序, documents: [OLD, NEW]}
numbering:
  matter: {pattern: "D-{year}-{seq:03d}", convention: platform, description: x}
"""

DOCS = """
documents:
  - id: OLD
    title: old rules
    issued_by: x
    in_force_from: null
    repealed_by: NEW
    text_available: false
  - id: NEW
    title: new rules
    issued_by: x
    in_force_from: "2023-04-11"
    articles:
      - {id: 第一条, heading: h, line: 1, summary: s}
      - {id: 第二条, heading: h, line: 2, summary: s}
  - id: BASE
    title: base rules
    issued_by: x
    in_force_from: "2020-01-01"
    articles:
      - {id: 一, heading: h, line: 1, summary: s}
"""

DECISION = """
decision: d
description: demo decision
procedure: p
inputs:
  level: {type: code, vocab: offices}
  n: {type: int, default: 0}
  prior: {type: records, default: []}
  earlier_on: {type: date}
  later_on: {type: date}
outputs:
  who: {type: code, vocab: offices}
  until: {type: deadline, merge: max}
  flag: {type: bool, merge: any}
tables:
  - name: t
    hit: first
    rules:
      - id: special
        exception_to: general
        when: {fact: level, eq: b}
        then: {who: b}
        cite: [NEW 第二条]
      - id: general
        when: {always: true}
        then: {who: a}
        cite: [NEW 第一条]
  - name: periods
    hit: collect
    rules:
      - id: short
        when: {fact: n, gte: 1}
        then: {until: {kind: months, amount: 6, from: later_on}}
        cite: [NEW 第一条]
      - id: long
        when: {fact: n, gte: 2}
        then: {until: {kind: years, amount: 1, from: later_on}}
        cite: [NEW 第一条]
  - name: counting
    hit: collect
    rules:
      - id: two_in_a_year
        when: {count: {fact: prior, where: {fact: kind, eq: x}}, gte: 2}
        then: {flag: true}
        cite: [NEW 第二条]
      - id: within_year
        when: {fact: earlier_on, within: {years: 1}, of: later_on}
        then: {flag: true}
        cite: [NEW 第二条]
"""


def write_pack(root: Path, decision: str = DECISION, docs: str = DOCS, pack: str = PACK) -> None:
    d = root / "demo"
    (d / "decisions").mkdir(parents=True)
    (d / "pack.yaml").write_text(textwrap.dedent(pack), encoding="utf-8")
    (d / "documents.yaml").write_text(textwrap.dedent(docs), encoding="utf-8")
    (d / "decisions" / "d.yaml").write_text(textwrap.dedent(decision), encoding="utf-8")


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_pack(tmp_path)
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield get_pack("demo")
    clear_cache()


ON = date(2024, 1, 1)


def test_repealed_document_closes_its_period(demo) -> None:
    old = demo.document("OLD")
    assert old.in_force_until == date(2023, 4, 11)
    assert old.in_force_on(date(2023, 4, 10)) and not old.in_force_on(date(2023, 4, 11))


def test_before_the_new_rules_is_no_rule_text_loaded(demo) -> None:
    with pytest.raises(NoRuleTextLoadedError) as err:
        demo.evaluate("d", {}, date(2023, 4, 10))
    assert "OLD" in str(err.value) and "2023-04-11" in str(err.value)
    assert err.value.code == "no_rule_text_loaded"
    assert demo.evaluate("d", {}, date(2023, 4, 11)).outcome["who"] == "a"


def test_exception_overrides_its_base_rule(demo) -> None:
    evaluation = demo.evaluate("d", {"level": "b"}, ON)
    assert evaluation.outcome["who"] == "b"
    assert evaluation.fired[0] == "special"
    assert evaluation.explanation[0].facts == {"level": "b"}
    assert evaluation.explanation[0].citations[0].text == "NEW 第二条"


def test_concurrent_periods_take_the_longer(demo) -> None:
    one = demo.evaluate("d", {"n": 1, "later_on": "2026-01-31"}, ON).outcome["until"]
    both = demo.evaluate("d", {"n": 2, "later_on": "2026-01-31"}, ON).outcome["until"]
    assert one["due"] == "2026-07-31"
    assert both["due"] == "2027-01-31"


def test_count_over_records(demo) -> None:
    two = demo.evaluate("d", {"prior": [{"kind": "x"}, {"kind": "x"}, {"kind": "y"}]}, ON)
    one = demo.evaluate("d", {"prior": [{"kind": "x"}, {"kind": "y"}]}, ON)
    assert "two_in_a_year" in two.fired and "two_in_a_year" not in one.fired


@pytest.mark.parametrize(
    ("earlier", "later", "fires"),
    [
        ("2025-03-01", "2026-03-01", True),
        ("2025-03-01", "2026-03-02", False),
        ("2024-02-29", "2025-02-28", True),
        ("2025-03-01", "2025-02-28", False),
    ],
)
def test_within_a_year_includes_the_anniversary(demo, earlier: str, later: str, fires: bool) -> None:
    ev = demo.evaluate("d", {"earlier_on": earlier, "later_on": later}, ON)
    assert ("within_year" in ev.fired) is fires


def test_evaluation_serialises_to_json(demo) -> None:
    data = demo.evaluate("d", {"level": "a", "n": 1, "later_on": "2026-01-31"}, ON).model_dump(mode="json")
    assert data["explanation"][0]["citations"][0]["text"] == "NEW 第一条"
    assert data["on"] == "2024-01-01"


def test_unique_outputs_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decision = DECISION.replace("hit: first", "hit: collect", 1).replace("exception_to: general", "")
    write_pack(tmp_path, decision=decision)
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    with pytest.raises(ConflictError):
        load_pack("demo").evaluate("d", {"level": "b"}, ON)


def test_out_of_period_when_no_procedure_document_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decision = DECISION.replace("procedure: p\n", "").replace("NEW 第二条", "BASE 一").replace("NEW 第一条", "BASE 一")
    write_pack(tmp_path, decision=decision)
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    with pytest.raises(OutOfPeriodError) as err:
        load_pack("demo").evaluate("d", {}, date(2019, 12, 31))
    assert not isinstance(err.value, NoRuleTextLoadedError)
    assert "BASE" in str(err.value) and "2020-01-01" in str(err.value)


def test_linter_finds_bad_citations_vocabulary_and_overlaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decision = DECISION.replace("then: {who: b}", "then: {who: c}").replace(
        "cite: [NEW 第二条]", "cite: [NEW 第九条]", 1
    )
    decision += textwrap.dedent("""
      - name: versions
        hit: first
        rules:
          - id: v
            effective: {until: "2025-01-01"}
            then: {who: a}
            cite: [NEW 第一条]
          - id: v
            effective: {from: "2024-06-01"}
            then: {who: a}
            cite: [NEW 第一条]
          - id: reads_unknown
            when: {fact: nobody, eq: 1}
            then: {who: a}
            cite: [OLD 第一条]
    """).replace("\n", "\n  ")
    write_pack(tmp_path, decision=decision)
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    messages = "\n".join(i.message for i in lint_pack("demo"))
    assert "'c' is not in vocabulary 'offices'" in messages
    assert "no article '第九条'" in messages
    assert "two versions of rule 'v' overlap" in messages
    assert "reads 'nobody'" in messages
    assert "no article '第一条' in OLD" in messages
    with pytest.raises(PackError):
        load_pack("demo")


def test_schema_errors_are_lint_issues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pack(tmp_path, decision=DECISION.replace("hit: first", "hit: sometimes"))
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    issues = lint_pack("demo")
    assert issues and all(i.file == "decisions/d.yaml" for i in issues)
    assert any("schema" in i.message for i in issues)


def test_shipped_packs_lint_clean() -> None:
    from wenze.rules import list_tenants

    for tenant in list_tenants():
        assert lint_pack(tenant) == [], tenant


@pytest.mark.parametrize(
    "bad",
    [
        {"fact": "x"},
        {"fact": "x", "eq": 1, "ne": 2},
        {"all": []},
        {"always": False},
        {"fact": "x", "within": {"weeks": 1}, "of": "y"},
        {"count": {"fact": "x"}, "gte": "2"},
        "x == 1",
    ],
)
def test_malformed_conditions_are_rejected(bad: object) -> None:
    with pytest.raises(ConditionError):
        compile_condition(bad)


def test_absent_facts_never_match_comparisons() -> None:
    for node in (
        {"fact": "x", "ne": 1},
        {"fact": "x", "not_in": [1]},
        {"fact": "x", "lt": 3},
        {"fact": "x", "subset_of": [1]},
    ):
        assert compile_condition(node).test({}) is False
    assert compile_condition({"fact": "x", "is_set": False}).test({}) is True
    assert compile_condition({"not": {"fact": "x", "eq": 1}}).test({}) is True
