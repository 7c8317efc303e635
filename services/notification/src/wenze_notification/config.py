from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class NotificationSettings(ServiceSettings):
    """Environment prefix ``WENZE_NOTIFICATION_`` (e.g. ``WENZE_NOTIFICATION_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_NOTIFICATION_", extra="ignore")

    service_name: str = "notification"
