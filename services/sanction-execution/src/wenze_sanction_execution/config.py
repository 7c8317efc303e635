from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class SanctionExecutionSettings(ServiceSettings):
    """Environment prefix ``WENZE_SANCTION_EXECUTION_``.

    For example ``WENZE_SANCTION_EXECUTION_DATABASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="WENZE_SANCTION_EXECUTION_", extra="ignore")

    service_name: str = "sanction-execution"
