"""Interpretation points: the packs list every judgement call, the linter holds decisions and
cases to them, evaluation applies the reading in force and the explanation names it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wenze.cli.rules import rules_app
from wenze.rules import RulesError, clear_cache, get_pack, lint_pack, list_tenants, rulesets_dir
from wenze.rules.counting import CountedRecord
from wenze.rules.readings import ReadingChoice, readings_in_force


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Copies of the shipped packs a test may break."""
    for tenant in list_tenants():
        shutil.copytree(rulesets_dir() / tenant, tmp_path / tenant)
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path
    clear_cache()


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(re.escape(old), text), old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(tenant: str) -> list[str]:
    return [str(issue) for issue in lint_pack(tenant)]


def test_every_shipped_pack_lists_its_points_and_lints_clean() -> None:
    for tenant in ("hubei", "jintan", "kunshan", "zhenxiong"):
        assert lint_pack(tenant) == [], tenant
        points = get_pack(tenant).points
        assert len(points) >= 3, tenant
        for point in points:
            assert point.articles and point.readings and point.reading(point.default) is not None
            # A point nothing reads says why it is listed all the same.
            assert point.affects or point.note.strip(), point.id


def test_a_decision_reading_a_parameter_without_naming_its_point_fails_the_linter(packs: Path) -> None:
    rewrite(packs / "zhenxiong" / "decisions" / "factors.yaml", "points: [repeat_count_includes_current]\n", "")
    found = messages("zhenxiong")
    assert any(
        "factors.yaml" in m
        and "aggravating_repeated_within_year" in m
        and "reads parameter 'current_case_counted' of interpretation point 'repeat_count_includes_current'" in m
        and "does not name" in m
        for m in found
    ), found
    # The point still lists the decision, which no longer names it.
    assert any("lists 'factors', which does not name the point" in m for m in found), found


def test_a_decision_naming_a_point_its_affects_omit_fails_the_linter(packs: Path) -> None:
    rewrite(packs / "zhenxiong" / "pack.yaml", "affects: [factors]", "affects: []\n    note: none")
    assert any("'factors' names the point but is not listed here" in m for m in messages("zhenxiong"))


def test_a_reading_no_case_exercises_fails_the_linter(packs: Path) -> None:
    cases = packs / "zhenxiong" / "cases" / "factors.yaml"
    text = cases.read_text(encoding="utf-8")
    cases.write_text(text.replace("reading: {repeat_count_includes_current: earlier_only}\n", ""), encoding="utf-8")
    found = messages("zhenxiong")
    assert any("reading 'earlier_only' is exercised by no case" in m for m in found), found


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("      reading: current_counts\n", "      reading: both\n", "default reading 'both' is not one of"),
        (
            "parameters: {current_case_counted: false}",
            "parameters: {current_case_counted: false, extra: 1}",
            "every reading of the point sets ['current_case_counted']",
        ),
        (
            "parameters: {staff_may_appeal: false}",
            "parameters: {current_case_counted: false}",
            "parameter 'current_case_counted' is already set by interpretation point",
        ),
    ],
)
def test_a_point_the_decisions_could_not_follow_fails_the_linter(packs: Path, old: str, new: str, says: str) -> None:
    rewrite(packs / "zhenxiong" / "pack.yaml", old, new)
    assert any(says in m for m in messages("zhenxiong")), messages("zhenxiong")


def test_a_point_no_decision_reads_needs_a_note(packs: Path) -> None:
    path = packs / "hubei" / "pack.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    note: >\n      No decision reads it: intake counts each decision")
    end = text.index("  - id: major_case")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert any(
        "dual_investigation_counted_date" in m and "affects no decision: say in `note`" in m for m in messages("hubei")
    ), messages("hubei")


def test_a_window_read_from_a_point_the_decision_does_not_name_fails_the_linter(packs: Path) -> None:
    rewrite(
        packs / "hubei" / "decisions" / "one_case_two_investigations.yaml", "points: [dual_investigation_year]\n", ""
    )
    found = messages("hubei")
    assert any(
        "counted_triggers/0/window" in m and "which one_case_two_investigations does not name" in m for m in found
    ), found


def test_the_explanation_names_the_point_and_the_reading() -> None:
    pack = get_pack("zhenxiong")
    facts = {"received_on": "2026-03-02", "cadre_level": "leader"}
    default = pack.evaluate("appeal_deadline", facts, date(2026, 3, 2))
    assert default.outcome["suspends_execution"] is False
    applied = {i.point: i for i in default.interpretations}
    assert set(applied) == {"appeal_suspends_execution", "appeal_by_non_leading_staff"}
    assert applied["appeal_suspends_execution"].reading == "no_stay" and applied["appeal_suspends_execution"].default
    assert [c.text for c in applied["appeal_suspends_execution"].citations] == [
        "镇雄县纪检监察干部工作责任追究办法（试行） 十六",
        "镇雄县纪检监察干部工作责任追究办法（试行） 十三（四）",
    ]

    chosen = pack.evaluate("appeal_deadline", facts, date(2026, 3, 2), readings={"appeal_suspends_execution": "stay"})
    assert chosen.outcome["suspends_execution"] is True
    stay = next(i for i in chosen.interpretations if i.point == "appeal_suspends_execution")
    assert (stay.reading, stay.default, stay.parameters) == ("stay", False, {"appeal_stays_execution": True})
    dumped = chosen.model_dump(mode="json")
    assert {"point": "appeal_suspends_execution", "reading": "stay"}.items() <= dumped["interpretations"][0].items()


def test_a_fact_cannot_stand_in_for_the_reading() -> None:
    evaluation = get_pack("zhenxiong").evaluate(
        "appeal_deadline",
        {"received_on": "2026-03-02", "cadre_level": "leader", "appeal_stays_execution": True},
        date(2026, 3, 2),
    )
    assert evaluation.outcome["suspends_execution"] is False


def test_an_unknown_reading_is_refused() -> None:
    with pytest.raises(RulesError, match="has no reading 'sometimes'"):
        get_pack("zhenxiong").evaluate(
            "appeal_deadline",
            {"received_on": "2026-03-02", "cadre_level": "leader"},
            date(2026, 3, 2),
            readings={"appeal_suspends_execution": "sometimes"},
        )


def test_the_rolling_year_makes_a_trigger_fire_that_the_calendar_year_does_not() -> None:
    pack = get_pack("hubei")
    [binding] = pack.counted_triggers
    records = [
        CountedRecord("HB-JD-2026-00090", date(2026, 12, 20), "expulsion", True),
        CountedRecord("HB-JD-2027-00001", date(2027, 1, 10), "removal_from_party_post", True),
    ]
    calendar = pack.evaluate_counted(binding, date(2027, 1, 10), records)
    rolling = pack.evaluate_counted(binding, date(2027, 1, 10), records, {"dual_investigation_year": "rolling_year"})
    assert calendar.outcome["dual_investigation"] is False
    assert rolling.outcome["dual_investigation"] is True
    assert [(i.point, i.reading) for i in calendar.interpretations] == [("dual_investigation_year", "calendar_year")]
    assert [(i.point, i.reading) for i in rolling.interpretations] == [("dual_investigation_year", "rolling_year")]


def test_points_cli_lists_every_point_per_tenant() -> None:
    result = CliRunner().invoke(rules_app, ["points", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert sorted(listed) == sorted(list_tenants())
    for tenant, points in listed.items():
        assert [p["id"] for p in points] == [p.id for p in get_pack(tenant).points]
    hubei = {p["id"]: p for p in listed["hubei"]}
    year = hubei["dual_investigation_year"]
    assert year["default"] == "calendar_year" and year["affects"] == ["one_case_two_investigations"]
    assert [r["id"] for r in year["readings"]] == ["calendar_year", "rolling_year"]
    assert year["articles"][0]["citation"]["article"] == "第十条（四）" and year["articles"][0]["lines"] == "283"

    text = CliRunner().invoke(rules_app, ["points", "--tenant", "zhenxiong"])
    assert text.exit_code == 0
    assert "appeal_suspends_execution" in text.output and "* no_stay" in text.output


def test_explain_cli_prints_the_reading_beside_the_citations(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"received_on": "2026-03-02", "cadre_level": "staff"}), encoding="utf-8")
    args = ["explain", str(facts), "--tenant", "zhenxiong", "--decision", "appeal_deadline", "--on", "2026-03-02"]
    result = CliRunner().invoke(rules_app, [*args, "--reading", "appeal_by_non_leading_staff=all_staff", "--json"])
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.output)
    assert evaluation["outcome"]["appeal_allowed"] is True
    assert {"point": "appeal_by_non_leading_staff", "reading": "all_staff", "default": False}.items() <= next(
        i for i in evaluation["interpretations"] if i["point"] == "appeal_by_non_leading_staff"
    ).items()
    plain = CliRunner().invoke(rules_app, args)
    assert "interpretation point appeal_by_non_leading_staff: reading leaders_only" in plain.output
    bad = CliRunner().invoke(rules_app, [*args, "--reading", "appeal_by_non_leading_staff"])
    assert bad.exit_code == 2 and "POINT=READING" in bad.output


def test_the_reading_in_force_is_the_latest_choice_effective_on_the_date() -> None:
    choices = [
        ReadingChoice("dual_investigation_year", "rolling_year", date(2026, 12, 4), 1),
        ReadingChoice("dual_investigation_year", "calendar_year", date(2027, 3, 1), 2),
        # Chosen later for the same day: the later version holds.
        ReadingChoice("dual_investigation_year", "rolling_year", date(2027, 3, 1), 3),
        ReadingChoice("major_case", "filed_case_against_leader", date(2027, 1, 1), 1),
    ]
    assert readings_in_force(choices, date(2026, 12, 3)) == {}
    assert readings_in_force(choices, date(2026, 12, 4)) == {"dual_investigation_year": "rolling_year"}
    assert readings_in_force(choices, date(2027, 1, 1)) == {
        "dual_investigation_year": "rolling_year",
        "major_case": "filed_case_against_leader",
    }
    assert readings_in_force(choices[:2], date(2027, 3, 1))["dual_investigation_year"] == "calendar_year"
    assert readings_in_force(choices, date(2027, 3, 1))["dual_investigation_year"] == "rolling_year"
