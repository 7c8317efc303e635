from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class RoutingSettings(ServiceSettings):
    """Environment prefix ``WENZE_ROUTING_`` (e.g. ``WENZE_ROUTING_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_ROUTING_", extra="ignore")

    service_name: str = "routing"
