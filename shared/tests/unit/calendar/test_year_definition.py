from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from wenze.calendar import (
    CalendarConflict,
    CalendarSettings,
    CalendarYearMissing,
    WorkingCalendar,
    YearDefinition,
    YearDefinitionError,
    dump_year_definition,
    load_calendar,
    load_year_definition,
    load_year_definitions,
)


def test_fixture_loads_with_bare_and_named_makeup_days(test_year_2027: YearDefinition) -> None:
    assert test_year_2027.year == 2027
    assert test_year_2027.makeup_dates == {date(2027, 2, 6), date(2027, 2, 20), date(2027, 4, 25)}
    assert len(test_year_2027.holidays) == 15


def _definition(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "year": 2030,
        "holidays": [{"date": "2030-01-01", "name": "元旦"}],
        "makeup_working_days": ["2030-01-05"],  # a Saturday
    }
    data.update(overrides)
    return data


def test_valid_definition() -> None:
    definition = YearDefinition.model_validate(_definition())
    assert not definition.is_working_day(date(2030, 1, 1))
    assert definition.is_working_day(date(2030, 1, 5))
    assert not definition.is_working_day(date(2030, 1, 6))
    assert definition.is_working_day(date(2030, 1, 7))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"holidays": [{"date": "2029-12-31", "name": "元旦"}]}, "outside 2030"),
        ({"makeup_working_days": ["2031-01-04"]}, "outside 2030"),
        (
            {"holidays": [{"date": "2030-01-05", "name": "元旦"}]},
            "both holiday and make-up working day: 2030-01-05",
        ),
        ({"makeup_working_days": ["2030-01-07"]}, r"Saturday or Sunday: 2030-01-07 \(Monday\)"),
        (
            {
                "holidays": [
                    {"date": "2030-01-01", "name": "元旦"},
                    {"date": "2030-01-01", "name": "x"},
                ]
            },
            "holidays listed more than once: 2030-01-01",
        ),
        (
            {"makeup_working_days": ["2030-01-05", "2030-01-05"]},
            "make-up working days listed more than once",
        ),
        ({"holidays": [{"date": "2030-01-01", "name": ""}]}, "name"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_definitions(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        YearDefinition.model_validate(_definition(**overrides))


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"holidays": [{"date": "2030-01-01", "name": "元\x00旦"}]}, "holidays.0.name"),
        ({"holidays": [{"date": "2030-01-01", "name": "元旦\x1b[2J"}]}, "holidays.0.name"),
        ({"holidays": [{"date": "2030-01-01", "name": "元" * 101}]}, "holidays.0.name"),
        ({"makeup_working_days": [{"date": "2030-01-05", "name": "春节\x00"}]}, "makeup_working_days.0.name"),
        ({"makeup_working_days": [{"date": "2030-01-05", "name": "节" * 101}]}, "makeup_working_days.0.name"),
        ({"source": "国务院办公厅\x00通知"}, "source"),
        ({"source": "通" * 501}, "source"),
    ],
)
def test_day_names_and_source_are_bounded_text_without_control_characters(
    overrides: dict[str, object], location: str
) -> None:
    with pytest.raises(ValidationError) as info:
        YearDefinition.model_validate(_definition(**overrides))
    (error,) = info.value.errors()
    assert ".".join(str(part) for part in error["loc"]) == location


def test_an_impossible_unquoted_yaml_date_is_a_year_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "2031.yaml"
    path.write_text("year: 2031\nholidays: [{date: 2031-02-30, name: 春节}]\n", encoding="utf-8")
    with pytest.raises(YearDefinitionError, match=r"2031\.yaml: not a valid date"):
        load_year_definition(path)


def test_dump_and_load_round_trip(tmp_path: Path, test_year_2027: YearDefinition) -> None:
    for name in ("2027.yaml", "2027.yml", "2027.json"):
        path = dump_year_definition(test_year_2027, tmp_path / name)
        assert load_year_definition(path) == test_year_2027
    assert json.loads((tmp_path / "2027.json").read_text(encoding="utf-8"))["year"] == 2027
    assert "测试元旦" in (tmp_path / "2027.yaml").read_text(encoding="utf-8")


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "2030.yaml"
    bad.write_text("year: 2030\nmakeup_working_days: [2030-01-07]\n", encoding="utf-8")
    with pytest.raises(YearDefinitionError, match=r"2030\.yaml.*Saturday or Sunday"):
        load_year_definition(bad)
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    with pytest.raises(YearDefinitionError, match="expected a mapping"):
        load_year_definition(tmp_path / "list.yaml")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(YearDefinitionError, match="not valid json"):
        load_year_definition(tmp_path / "broken.json")
    with pytest.raises(YearDefinitionError, match="unsupported file type"):
        load_year_definition(tmp_path / "2030.txt")
    with pytest.raises(YearDefinitionError, match="cannot read"):
        load_year_definition(tmp_path / "absent.yaml")


def test_directory_loading(tmp_path: Path, test_year_2027: YearDefinition) -> None:
    dump_year_definition(test_year_2027, tmp_path / "2027.yaml")
    dump_year_definition(YearDefinition.model_validate(_definition()), tmp_path / "2030.json")
    (tmp_path / "README.md").write_text("ignored", encoding="utf-8")
    assert [d.year for d in load_year_definitions(tmp_path)] == [2027, 2030]

    calendar = WorkingCalendar.from_directory(tmp_path)
    assert calendar.loaded_years == (2027, 2030)
    assert load_calendar(CalendarSettings(calendar_dir=tmp_path)).loaded_years == (2027, 2030)

    dump_year_definition(test_year_2027, tmp_path / "copy-of-2027.json")
    with pytest.raises(YearDefinitionError, match="year 2027 is defined twice"):
        load_year_definitions(tmp_path)
    with pytest.raises(YearDefinitionError, match="not a directory"):
        load_year_definitions(tmp_path / "missing")


def test_calendar_dir_setting_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_year_2027: YearDefinition
) -> None:
    dump_year_definition(test_year_2027, tmp_path / "2027.yaml")
    monkeypatch.setenv("WENZE_CALENDAR_DIR", str(tmp_path))
    assert load_calendar().loaded_years == (2027,)
    monkeypatch.delenv("WENZE_CALENDAR_DIR")
    calendar = load_calendar()
    assert calendar.loaded_years == ()
    with pytest.raises(CalendarYearMissing):
        calendar.is_working_day(date(2027, 1, 4))


def test_library_year_export_round_trips_and_agrees() -> None:
    exported = YearDefinition.from_library(2026)
    assert exported.holiday_name(date(2026, 10, 1)) == "国庆节"
    assert date(2026, 5, 9) in exported.makeup_dates
    # Agreeing with the library is accepted without replaces_library.
    assert WorkingCalendar([exported]).loaded_years == (2026,)
    with pytest.raises(YearDefinitionError):
        YearDefinition.from_library(2027)


def test_conflicting_library_year_needs_explicit_replacement() -> None:
    exported = YearDefinition.from_library(2026)
    # Pretend a tenant's notice made 8 October a holiday as well.
    changed = exported.model_copy(
        update={
            "holidays": (
                *exported.holidays,
                exported.holidays[-1].model_copy(update={"date": date(2026, 10, 8)}),
            )
        }
    )
    changed = YearDefinition.model_validate(changed.model_dump())
    with pytest.raises(CalendarConflict, match=r"2026.*1 day\(s\): 2026-10-08.*replaces_library"):
        WorkingCalendar([changed])

    replacing = YearDefinition.model_validate({**changed.model_dump(), "replaces_library": True})
    calendar = WorkingCalendar([replacing])
    assert not calendar.is_working_day(date(2026, 10, 8))
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 9)
    # Library years not replaced are untouched.
    assert calendar.add_working_days(date(2025, 12, 31), 0) == date(2025, 12, 31)
    assert WorkingCalendar().add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_same_year_twice_is_rejected(test_year_2027: YearDefinition) -> None:
    with pytest.raises(CalendarConflict, match="2027 is loaded twice"):
        WorkingCalendar([test_year_2027, test_year_2027])
