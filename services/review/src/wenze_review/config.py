from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class ReviewSettings(ServiceSettings):
    """Environment prefix ``WENZE_REVIEW_`` (e.g. ``WENZE_REVIEW_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_REVIEW_", extra="ignore")

    service_name: str = "review"
