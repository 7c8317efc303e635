"""Counted triggers (``counted_triggers`` in pack.yaml): the linter refuses a binding the
services could not follow, and the facts built from counted decisions keep to the window."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wenze.rules import clear_cache, get_pack, lint_pack, rulesets_dir
from wenze.rules.counting import CountedRecord, counted_facts, window_of
from wenze.rules.period import Period, counting_window


@pytest.fixture
def hubei(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped Hubei pack the test may break."""
    shutil.copytree(rulesets_dir() / "hubei", tmp_path / "hubei")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path / "hubei"
    clear_cache()


def rewrite(pack_dir: Path, old: str, new: str) -> None:
    path = pack_dir / "pack.yaml"
    text = path.read_text(encoding="utf-8")
    assert re.search(re.escape(old), text), old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_binding_lints_clean(hubei: Path) -> None:
    assert lint_pack("hubei") == []
    pack = get_pack("hubei")
    [binding] = pack.counted_triggers
    # The window is the reading in force of the point on 年度内; by default the calendar year.
    assert (binding.decision, binding.window_parameter, pack.window_kind(binding), binding.source) == (
        "one_case_two_investigations",
        "counting_window",
        "calendar_year",
        "dual_investigation",
    )


@pytest.mark.parametrize(
    ("old", "new", "location", "says"),
    [
        ("  - decision: one_case_two_investigations", "  - decision: no_such_decision", "decision", "unknown decision"),
        ("window_start_fact: year_start", "window_start_fact: party_sanctions", "window_start_fact", "date input"),
        ("sanctions_fact: party_sanctions", "sanctions_fact: year_start", "sanctions_fact", "records input"),
        ("fires_when: dual_investigation", "fires_when: triggers", "fires_when", "bool output"),
        ("triggers_output: triggers", "triggers_output: trace_back", "triggers_output", "codes output"),
        ("      source: dual_investigation", "      source: petitions", "opens/source", "unknown intake source"),
        ("sector: discipline_body, org_level", "sector: district_office, org_level", "sector", "not in vocabulary"),
    ],
)
def test_a_binding_the_services_could_not_follow_is_a_lint_issue(
    hubei: Path, old: str, new: str, location: str, says: str
) -> None:
    rewrite(hubei, old, new)
    issues = lint_pack("hubei")
    assert any(
        i.file == "pack.yaml" and i.location.startswith("counted_triggers/0") and location in i.location for i in issues
    ), issues
    assert any(says in i.message for i in issues), issues


def test_an_unknown_window_is_refused_by_the_schema(hubei: Path) -> None:
    rewrite(hubei, "window: {parameter: counting_window}", "window: fiscal_year")
    assert any("fiscal_year" in i.message for i in lint_pack("hubei"))


def test_facts_hold_only_the_decisions_of_the_window() -> None:
    pack = get_pack("hubei")
    [binding] = pack.counted_triggers
    records = [
        CountedRecord("a", date(2025, 12, 31), "expulsion", True),
        CountedRecord("b", date(2026, 1, 1), "removal_from_party_post", True),
        CountedRecord("c", date(2026, 12, 31), None, False, major_case=True),
        CountedRecord("c", date(2026, 12, 31), "warning", False, major_case=True),
        CountedRecord("d", date(2027, 1, 1), None, False, major_case=True),
    ]
    facts = counted_facts(binding, date(2026, 6, 1), records, pack.window_kind(binding))
    assert facts["year_start"] == date(2026, 1, 1)
    assert [r["decided_on"] for r in facts["party_sanctions"]] == [date(2026, 1, 1), date(2026, 12, 31)]
    # Two targets of decision c: one major case.
    assert facts["major_cases"] == [{"occurred_on": date(2026, 12, 31)}]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_the_calendar_year_window_holds_its_day_and_nothing_of_another_year(on: date) -> None:
    window = counting_window("calendar_year", on)
    assert window.contains(on)
    assert window.start == date(on.year, 1, 1)
    assert not window.contains(date(on.year - 1, 12, 31)) and not window.contains(date(on.year + 1, 1, 1))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_the_rolling_year_window_ends_on_its_day_and_holds_twelve_months(on: date) -> None:
    window = counting_window("rolling_year", on)
    assert window.contains(on) and not window.contains(on + timedelta(days=1))
    assert window.start is not None and window.end is not None
    assert 365 <= (window.end - window.start).days <= 366
    assert not window.contains(window.start - timedelta(days=1))


def test_the_window_follows_the_binding_and_the_reading() -> None:
    pack = get_pack("hubei")
    [binding] = pack.counted_triggers
    on = date(2026, 3, 4)
    assert window_of(binding, on, pack.window_kind(binding)) == counting_window("calendar_year", on)
    rolling = pack.window_kind(binding, {"dual_investigation_year": "rolling_year"})
    assert window_of(binding, on, rolling) == Period(date(2025, 3, 5), date(2026, 3, 5))
    with pytest.raises(ValueError, match="counting_window"):
        window_of(binding, on)
    with pytest.raises(ValueError, match="rolling_fortnight"):
        counting_window("rolling_fortnight", date(2026, 3, 4))
