"""Deadline arithmetic on the official Chinese working-day calendar.

Working days come from the bundled chinesecalendar data; years it does not cover are loaded
as ``YearDefinition`` by a platform operator: the calendar is national, one for every
tenant. Until then any computation needing such a year raises ``CalendarYearMissing``. A
tenant's own working-day changes are its ``LocalDays``, counted for that tenant alone. See
``working_calendar`` for the counting conventions and ``deadline`` for the rule-pack
``DeadlineSpec``.
"""

from wenze.calendar.arithmetic import (
    add_calendar_days,
    add_months,
    add_years,
    days_in_month,
    month_end,
    next_day_of_month,
)
from wenze.calendar.clock import CHINA, china_today
from wenze.calendar.deadline import Deadline, DeadlineKind, DeadlineSpec
from wenze.calendar.errors import (
    CalendarConflict,
    CalendarError,
    CalendarYearMissing,
    YearDefinitionError,
)
from wenze.calendar.local_days import LocalDay, LocalDays
from wenze.calendar.settings import CalendarSettings, load_calendar
from wenze.calendar.working_calendar import WorkingCalendar
from wenze.calendar.year_definition import (
    Holiday,
    MakeupWorkingDay,
    YearDefinition,
    dump_year_definition,
    dumps_year_definition,
    load_year_definition,
    load_year_definitions,
    parse_year_definition,
)

__all__ = [
    "CHINA",
    "CalendarConflict",
    "CalendarError",
    "CalendarSettings",
    "CalendarYearMissing",
    "Deadline",
    "DeadlineKind",
    "DeadlineSpec",
    "Holiday",
    "LocalDay",
    "LocalDays",
    "MakeupWorkingDay",
    "WorkingCalendar",
    "YearDefinition",
    "YearDefinitionError",
    "add_calendar_days",
    "add_months",
    "add_years",
    "china_today",
    "days_in_month",
    "dump_year_definition",
    "dumps_year_definition",
    "load_calendar",
    "load_year_definition",
    "load_year_definitions",
    "month_end",
    "next_day_of_month",
    "parse_year_definition",
]
