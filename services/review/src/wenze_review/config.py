from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings
from wenze.db.base import utcnow

# Noon in China on the rehearsed day: a run of hours stays on that day in every tenant's zone.
_REHEARSAL_START = dt.time(4, 0, tzinfo=dt.UTC)


class ReviewSettings(ServiceSettings):
    """Environment prefix ``WENZE_REVIEW_`` (e.g. ``WENZE_REVIEW_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_REVIEW_", extra="ignore")

    service_name: str = "review"
    rehearsal_date: dt.date | None = Field(
        default=None,
        description="the day the service's clock starts from, running on from noon China time when the process "
        "starts: cases are opened, approved and decided on it, so a staging system (or the end-to-end tests) can "
        "rehearse what a decision of that day leads to; unset, the real clock. Never set in production",
    )

    def clock(self) -> Callable[[], dt.datetime]:
        """The service's current instant: the real one, or the rehearsed day's, advancing with time."""
        if self.rehearsal_date is None:
            return utcnow
        started = utcnow()
        origin = dt.datetime.combine(self.rehearsal_date, _REHEARSAL_START)
        return lambda: origin + (utcnow() - started)


def clock_of(settings: ServiceSettings) -> Callable[[], dt.datetime]:
    """The clock of a process with ``settings``: settings of another kind (a tool building the
    worker's consumers to list them) set no rehearsal, so the real clock."""
    return settings.clock() if isinstance(settings, ReviewSettings) else utcnow
