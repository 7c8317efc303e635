"""The explain form's fields read into facts, every name a pack's decisions use given words, and
the reports page's period read from its URL."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.datastructures import QueryParams

from wenze.rules import get_pack, list_tenants
from wenze_console import labels
from wenze_console.reports.schemas import QueryRefused, ReportQuery, chart_request
from wenze_console.rules.schemas import FieldRefused, facts_from
from wenze_console.rules.service import value_words

TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize("tenant", list_tenants())
def test_every_decision_fact_and_outcome_of_a_pack_has_words(tenant: str) -> None:
    pack = get_pack(tenant)
    unnamed = []
    for info in pack.decisions():
        if labels.decision_label(info.name) == info.name:
            unnamed.append(info.name)
        decision = pack.decision(info.name)
        unnamed += [n for n in [*decision.inputs, *decision.outputs] if labels.fact_label(pack, n) == n]
    assert not unnamed, f"{tenant}: no words for {sorted(set(unnamed))}"


def test_the_form_gives_facts_of_each_inputs_type_and_leaves_empty_fields_to_the_default() -> None:
    decision = get_pack("jintan").decision("conduct_simplified_procedure")
    params = QueryParams(
        [("f.source", "unit_self_found"), ("f.facts_clear", "true"), ("f.measures", "admonishment"), ("f.measures", "")]
    )
    assert facts_from(params, decision.inputs) == {
        "source": "unit_self_found",
        "facts_clear": True,
        "measures": ["admonishment"],
    }
    # A required list left unticked is an empty list (the pack then judges it); a yes/no left
    # empty is left out, and the evaluation names it as missing.
    assert facts_from(QueryParams([("f.facts_clear", "")]), decision.inputs) == {"measures": []}
    with pytest.raises(FieldRefused) as refused:
        facts_from(QueryParams([("f.facts_clear", "maybe")]), decision.inputs)
    assert refused.value.fact == "facts_clear"


def test_an_integer_or_date_that_does_not_fit_is_refused_naming_the_fact() -> None:
    pack = get_pack("hubei")
    decision = next(
        pack.decision(d.name)
        for d in pack.decisions()
        if any(s.type == "int" for s in pack.decision(d.name).inputs.values())
    )
    name = next(n for n, s in decision.inputs.items() if s.type == "int")
    with pytest.raises(FieldRefused) as refused:
        facts_from(QueryParams([(f"f.{name}", "三")]), decision.inputs)
    assert refused.value.fact == name and "整数" in refused.value.reason


def test_outcome_values_read_as_the_packs_labels() -> None:
    pack = get_pack("jintan")
    assert value_words(pack, "bool", None, True) == "是"
    assert value_words(pack, "codes", "measures", ["admonishment"]) == pack.vocabulary["measures"]["admonishment"]
    assert value_words(pack, "code", "offices", "conduct_office") == pack.vocabulary["offices"]["conduct_office"]


def test_the_report_period_defaults_to_the_current_month_and_refuses_what_does_not_fit() -> None:
    query = ReportQuery.parse(QueryParams(""), TODAY)
    assert (query.kind, query.params()) == ("monthly", {"year": 2026, "month": 12})
    half = ReportQuery.parse(QueryParams("kind=half-year&year=2026&half=1"), TODAY)
    assert half.params() == {"year": 2026, "half": 1} and half.chart_month() == (2026, 6)
    stats = ReportQuery.parse(QueryParams("kind=statistics&start=2026-01-01&end=2026-03-31"), TODAY)
    assert stats.params() == {"start": "2026-01-01", "end": "2026-03-31"} and stats.chart_month() == (2026, 3)
    for bad, field in [
        ("month=13", "月份"),
        ("year=20x6", "年份"),
        ("kind=weekly", "报表"),
        ("kind=statistics&start=2026-05-01&end=2026-04-01", "截止日期"),
    ]:
        with pytest.raises(QueryRefused) as refused:
            ReportQuery.parse(QueryParams(bad), TODAY)
        assert refused.value.field == field, bad
    with pytest.raises(QueryRefused):
        chart_request("pie", QueryParams("year=2026&month=1"))
    assert chart_request("monthly-trend", QueryParams("year=2026&month=1&format=svg")) == (2026, 1, "svg")


def test_a_monthly_report_and_a_statistics_report_become_titled_tables() -> None:
    import json
    from pathlib import Path

    from wenze_console.reports.service import _figures, _statistics

    samples = Path(__file__).resolve().parents[4] / "docs" / "reporting"
    monthly = json.loads((samples / "kunshan-monthly-2026-03.json").read_text(encoding="utf-8"))
    tables = {t.title: t for t in _figures(monthly["figures"])}
    totals = {row[0]: row[1] for row in tables["合计"].rows}
    assert totals["作出问责决定的事项"] == monthly["figures"]["totals"]["decided"]
    offices = tables["各承办部门"]
    assert offices.headings == ["承办部门", "分办", "作出决定", "期末未办结"]
    assert len(offices.rows) == len(monthly["figures"]["by_office"])
    statistics = json.loads((samples / "hubei-statistics-2026-h1.json").read_text(encoding="utf-8"))
    by_level = {t.title: t for t in _statistics(statistics)}["按干部层级"]
    # Each level's persons per measure group, in the columns the groups head.
    for level, row in zip(statistics["by_level"], by_level.rows, strict=True):
        groups = {g["label"]: g["count"] for g in level["by_group"]}
        assert row[2:] == [groups.get(h, 0) for h in by_level.headings[2:]]
