from __future__ import annotations

import datetime as dt

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class SanctionExecutionSettings(ServiceSettings):
    """Environment prefix ``WENZE_SANCTION_EXECUTION_``.

    For example ``WENZE_SANCTION_EXECUTION_DATABASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="WENZE_SANCTION_EXECUTION_", extra="ignore")

    service_name: str = "sanction-execution"
    reminder_lead_days: int = Field(
        default=3,
        ge=0,
        le=60,
        description="days before a deadline its reminder goes out, where the tenant's pack sets none",
    )
    scheduler_interval_seconds: float = Field(
        default=30.0, gt=0, description="how often the worker looks for deadlines to remind of or report missed"
    )
    scheduler_batch: int = Field(default=200, ge=1, le=5000, description="deadlines fired per transaction")
    scheduler_date: dt.date | None = Field(
        default=None,
        description="the day the scheduler takes as every tenant's today, to rehearse what the deadlines of a "
        "coming day fire (on a staging system, or the end-to-end tests); unset, each tenant's date now",
    )
