from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Environment prefix ``WENZE_REPORTING_`` (e.g. ``WENZE_REPORTING_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_REPORTING_", extra="ignore")

    service_name: str = "reporting"
