from __future__ import annotations

import json
import os
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from wenze.config import DEFAULT_TENANTS

# Platform-wide names a console-specific variable overrides, as for the services.
_SHARED_ENV = {
    "oidc_base_url": "WENZE_OIDC_BASE_URL",
    "oidc_internal_url": "WENZE_OIDC_INTERNAL_URL",
    "tenants": "WENZE_TENANTS",
}


class ConsoleSettings(BaseSettings):
    """Environment prefix ``WENZE_CONSOLE_`` (e.g. ``WENZE_CONSOLE_REVIEW_URL``). The console
    keeps no data: it reaches the services over HTTP with the signed-in user's own token."""

    model_config = SettingsConfigDict(env_prefix="WENZE_CONSOLE_", extra="ignore")

    oidc_base_url: str = "http://127.0.0.1:8080"
    oidc_internal_url: str | None = Field(
        default=None,
        description="where the console itself calls the realms (discovery, token, userinfo), if not the base URL",
    )
    public_url: str | None = Field(
        default=None,
        description="the console's address as browsers reach it; the login callback is built from it",
    )
    client_id: str = Field(default="wenze-web", description="the realm's public browser client")
    tenants: Annotated[tuple[str, ...], NoDecode] = DEFAULT_TENANTS
    intake_url: str = "http://127.0.0.1:8001"
    routing_url: str = "http://127.0.0.1:8002"
    review_url: str = "http://127.0.0.1:8003"
    execution_url: str = "http://127.0.0.1:8004"
    notification_url: str = "http://127.0.0.1:8005"
    reporting_url: str = "http://127.0.0.1:8006"
    secure_cookies: bool = Field(default=False, description="mark the session cookie Secure (served over TLS)")
    session_idle_seconds: int = Field(default=8 * 3600, gt=0, description="a session unused this long ends")
    max_sessions: int = Field(default=10_000, gt=0, description="sessions kept at most; the longest unused go first")
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _fall_back_to_shared_env(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for field, env_name in _SHARED_ENV.items():
                if not data.get(field) and os.environ.get(env_name):
                    data[field] = os.environ[env_name]
        return data

    @field_validator("tenants", mode="before")
    @classmethod
    def _split_tenants(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return tuple(json.loads(value))
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    def realm_of(self, tenant: str) -> str:
        return f"wenze-{tenant}"
