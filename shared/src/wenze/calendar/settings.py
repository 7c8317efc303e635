"""Where loaded year definitions live."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from wenze.calendar.working_calendar import WorkingCalendar


class CalendarSettings(BaseSettings):
    """``WENZE_CALENDAR_DIR``: directory of year definition files (YAML/JSON), optional."""

    model_config = SettingsConfigDict(env_prefix="WENZE_", extra="ignore")

    calendar_dir: Path | None = None


def load_calendar(settings: CalendarSettings | None = None) -> WorkingCalendar:
    settings = settings if settings is not None else CalendarSettings()
    return WorkingCalendar.from_directory(settings.calendar_dir)
