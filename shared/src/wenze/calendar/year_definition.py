"""Year definitions: the official holidays and make-up working days of one year.

A year definition transcribes the State Council's annual holiday notice (国务院办公厅关于
某年部分节假日安排的通知). It lists every date that is a day off because of a public
holiday (weekend days inside a holiday period included, exactly as chinesecalendar does)
and every weekend date that is a working day (调休上班).

Notices sometimes place New Year's Day holidays on 31 December of the previous year; such
a date belongs to the definition of the year it falls in, because a definition only ever
describes dates of its own year.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wenze.calendar.errors import YearDefinitionError
from wenze.http.types import Text

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
JSON_SUFFIXES = frozenset({".json"})
DEFINITION_SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES

# The names are shown beside deadlines and stored as text: no control characters (NUL cannot
# be stored at all), and short, as the notices' own names are.
DayName = Annotated[str, Text(100)]
SourceCitation = Annotated[str, Text(500)]


class Holiday(BaseModel):
    """One day off for a public holiday."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    name: DayName


class MakeupWorkingDay(BaseModel):
    """One weekend day that is a working day to make up for a holiday (调休上班)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    name: DayName | None = None


def _duplicates(dates: Iterable[dt.date]) -> list[dt.date]:
    return sorted(d for d, count in Counter(dates).items() if count > 1)


def _listed(dates: Iterable[dt.date]) -> str:
    return ", ".join(d.isoformat() for d in dates)


def date_list_problems(
    year: int, off: list[dt.date], on: list[dt.date], off_names: tuple[str, str], on_names: tuple[str, str]
) -> list[str]:
    """What is wrong with a year's lists of days off and working days (each named in the
    singular and the plural): dates of another year, a date listed twice, a date in both."""
    problems: list[str] = []
    if outside := sorted(d for d in [*off, *on] if d.year != year):
        problems.append(f"dates outside {year}: {_listed(outside)}")
    if dup := _duplicates(off):
        problems.append(f"{off_names[1]} listed more than once: {_listed(dup)}")
    if dup := _duplicates(on):
        problems.append(f"{on_names[1]} listed more than once: {_listed(dup)}")
    if both := sorted(set(off) & set(on)):
        problems.append(f"dates both {off_names[0]} and {on_names[0]}: {_listed(both)}")
    return problems


class YearDefinition(BaseModel):
    """The official (national) calendar of one year, as loaded by a platform operator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=1900, le=9999)
    holidays: tuple[Holiday, ...] = ()
    makeup_working_days: tuple[MakeupWorkingDay, ...] = ()
    # Citation of the notice the dates were taken from, kept for audit trails.
    source: SourceCitation | None = None
    # A definition for a year the bundled library already covers is only accepted when it
    # agrees with the library, unless this is set; then it replaces the library's year.
    replaces_library: bool = False

    @field_validator("makeup_working_days", mode="before")
    @classmethod
    def _accept_bare_dates(cls, value: Any) -> Any:
        # Notices list make-up days without names, so a plain list of dates is accepted.
        if isinstance(value, list | tuple):
            return [{"date": item} if isinstance(item, dt.date | str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> YearDefinition:
        holiday_dates = [h.date for h in self.holidays]
        makeup_dates = [m.date for m in self.makeup_working_days]
        problems = date_list_problems(
            self.year,
            holiday_dates,
            makeup_dates,
            ("holiday", "holidays"),
            ("make-up working day", "make-up working days"),
        )
        if weekdays := sorted(d for d in makeup_dates if d.weekday() < 5):
            problems.append(
                "make-up working days must fall on a Saturday or Sunday: "
                + ", ".join(f"{d.isoformat()} ({d.strftime('%A')})" for d in weekdays)
            )
        if problems:
            raise ValueError(f"invalid year definition for {self.year}: " + "; ".join(problems))
        return self

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(h.date for h in self.holidays)

    @property
    def makeup_dates(self) -> frozenset[dt.date]:
        return frozenset(m.date for m in self.makeup_working_days)

    def is_working_day(self, day: dt.date) -> bool:
        if day.year != self.year:
            raise ValueError(f"{day.isoformat()} is not in year {self.year}")
        if day in self.makeup_dates:
            return True
        return day.weekday() < 5 and day not in self.holiday_dates

    def holiday_name(self, day: dt.date) -> str | None:
        for holiday in self.holidays:
            if holiday.date == day:
                return holiday.name
        return None

    @classmethod
    def from_library(cls, year: int) -> YearDefinition:
        """Export a year of the bundled chinesecalendar data (e.g. as a template to edit)."""
        import chinese_calendar
        from chinese_calendar.constants import Holiday as LibraryHoliday

        holidays = sorted((d, name) for d, name in chinese_calendar.holidays.items() if d.year == year)
        if not holidays:
            raise YearDefinitionError(f"chinesecalendar has no data for {year}")
        by_english = {h.value: h.chinese for h in LibraryHoliday}
        return cls(
            year=year,
            holidays=tuple(Holiday(date=d, name=by_english.get(n, n)) for d, n in holidays),
            makeup_working_days=tuple(
                MakeupWorkingDay(date=d, name=by_english.get(n, n))
                for d, n in sorted(chinese_calendar.workdays.items())
                if d.year == year
            ),
            source=f"chinesecalendar {_library_version()}",
        )


def _library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:
        return "(unknown version)"


def parse_year_definition(text: str, *, format: str, origin: str = "<text>") -> YearDefinition:
    """Parse a year definition from YAML (``format="yaml"``) or JSON (``format="json"``)."""
    try:
        if format == "yaml":
            data = yaml.safe_load(text)
        elif format == "json":
            data = json.loads(text)
        else:
            raise YearDefinitionError(f"{origin}: unknown format {format!r}, use yaml or json")
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise YearDefinitionError(f"{origin}: not valid {format}: {exc}") from exc
    except ValueError as exc:
        # YAML reads an unquoted 2031-02-30 as a date and fails with a bare ValueError.
        raise YearDefinitionError(f"{origin}: not a valid date: {exc}") from exc
    if not isinstance(data, dict):
        raise YearDefinitionError(f"{origin}: expected a mapping with `year`, `holidays`, ...")
    try:
        return YearDefinition.model_validate(data)
    except ValidationError as exc:
        # Administrators read this, so drop pydantic's input dumps and documentation links.
        details = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'definition'}: {error['msg']}" for error in exc.errors()
        )
        raise YearDefinitionError(f"{origin}: {details}") from exc


def _format_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in JSON_SUFFIXES:
        return "json"
    raise YearDefinitionError(f"{path}: unsupported file type, use .yaml, .yml or .json")


def load_year_definition(path: str | Path) -> YearDefinition:
    path = Path(path)
    fmt = _format_for(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YearDefinitionError(f"{path}: cannot read: {exc}") from exc
    return parse_year_definition(text, format=fmt, origin=str(path))


def load_year_definitions(directory: str | Path) -> list[YearDefinition]:
    """Load every ``*.yaml``, ``*.yml`` and ``*.json`` file directly inside ``directory``.

    Two files defining the same year are an error: which one wins would otherwise depend
    on file names.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise YearDefinitionError(f"{directory}: not a directory")
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in DEFINITION_SUFFIXES)
    seen: dict[int, Path] = {}
    definitions: list[YearDefinition] = []
    for path in files:
        definition = load_year_definition(path)
        if definition.year in seen:
            raise YearDefinitionError(f"year {definition.year} is defined twice: {seen[definition.year]} and {path}")
        seen[definition.year] = path
        definitions.append(definition)
    return sorted(definitions, key=lambda d: d.year)


def dump_year_definition(definition: YearDefinition, path: str | Path) -> Path:
    """Write ``definition`` to ``path`` as YAML or JSON, chosen by the file suffix."""
    path = Path(path)
    fmt = _format_for(path)
    path.write_text(dumps_year_definition(definition, format=fmt), encoding="utf-8")
    return path


def dumps_year_definition(definition: YearDefinition, *, format: str = "yaml") -> str:
    data = definition.model_dump(mode="json", exclude_defaults=False)
    for item in data["makeup_working_days"]:
        if item.get("name") is None:
            del item["name"]
    if format == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if format == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    raise YearDefinitionError(f"unknown format {format!r}, use yaml or json")
