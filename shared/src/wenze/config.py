"""Service settings.

Every service reads its settings from environment variables with its own prefix
(``WENZE_INTAKE_DATABASE_URL``), falling back to the platform-wide names
(``DATABASE_URL``, ``NATS_URL``, ``WENZE_OIDC_BASE_URL``) so that one deployment can set
shared values once and override them per service.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from wenze.db.roles import app_role
from wenze.messaging.nats import NatsCredentials
from wenze.persons import DEVELOPMENT_KEY

# Platform-wide environment names that a service-specific variable overrides.
_SHARED_ENV = {
    "database_url": "DATABASE_URL",
    "migration_database_url": "MIGRATION_DATABASE_URL",
    "nats_url": "NATS_URL",
    "oidc_base_url": "WENZE_OIDC_BASE_URL",
    "oidc_audience": "WENZE_OIDC_AUDIENCE",
    "oidc_internal_url": "WENZE_OIDC_INTERNAL_URL",
    "data_dir": "WENZE_DATA_DIR",
    "platform_realm": "WENZE_PLATFORM_REALM",
    "tenants": "WENZE_TENANTS",
    "stream_replicas": "WENZE_STREAM_REPLICAS",
    "metrics_port": "WENZE_METRICS_PORT",
    "person_reference_key": "WENZE_PERSON_REFERENCE_KEY",
}

DEFAULT_TENANTS = ("kunshan", "jintan", "zhenxiong", "hubei")
DEFAULT_PLATFORM_REALM = "wenze-platform"


class ServiceSettings(BaseSettings):
    """Settings common to all services. Subclasses set ``env_prefix`` and ``service_name``."""

    model_config = SettingsConfigDict(env_prefix="WENZE_", extra="ignore")

    service_name: str = "wenze"
    data_dir: Path = Path("var")
    database_url: str = ""
    # The role that owns the schema and runs the migrations; the service itself connects with
    # ``database_url``, as an application role without BYPASSRLS (ADR 0018). Empty: the same URL.
    migration_database_url: str = ""
    db_pool_size: int = 10
    nats_url: str = "nats://127.0.0.1:4222"
    # NATS credentials of this service (docs/operations/security.md); none by default.
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_creds_file: Path | None = Field(default=None, description="a user JWT and NKey seed (.creds) file")
    nats_nkey_seed_file: Path | None = Field(default=None, description="an NKey seed file, for NKey users")
    oidc_base_url: str = "http://127.0.0.1:8080"
    oidc_audience: str = "wenze-api"
    # In a cluster the services may reach Keycloak on an internal address while tokens carry
    # the public one in ``iss``; signing keys are fetched from here when it is set.
    oidc_internal_url: str | None = None
    verified_token_cache_seconds: float = Field(
        default=60.0, ge=0, description="reuse a verified token's result this long (never past its exp); 0 = off"
    )
    # A comma-separated list in the environment (``WENZE_TENANTS=kunshan,jintan``) or JSON.
    tenants: Annotated[tuple[str, ...], NoDecode] = DEFAULT_TENANTS
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="JetStream replicas of the streams this service creates or updates"
    )
    platform_realm: str = DEFAULT_PLATFORM_REALM
    max_body_bytes: int = Field(default=1_048_576, description="largest JSON body accepted")
    relay_in_api: bool = Field(default=True, description="also run an outbox relay in the API process")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="the API process serves /metrics on this port (none by default)"
    )
    metrics_host: str = "0.0.0.0"
    metrics_sample_seconds: float = Field(
        default=15.0, gt=0, description="how often a worker reads its outbox, consumers and tables for the metrics"
    )
    outbox_retention_hours: float = Field(
        default=168.0, ge=1, description="how long a worker keeps outbox rows once they are published"
    )
    # The key persons' references are derived with (wenze.persons, ADR 0044): one per
    # deployment, the same for every service, never changed once references exist.
    person_reference_key: SecretStr = Field(default=SecretStr(DEVELOPMENT_KEY), min_length=16)
    log_level: str = "INFO"
    log_json: bool = True

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

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            path = (self.data_dir / f"{self.service_name}.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        if not self.migration_database_url:
            self.migration_database_url = self.database_url
        return self

    @model_validator(mode="after")
    def _one_nats_credential(self) -> ServiceSettings:
        given = [
            name
            for name, value in (
                ("NATS_USER", self.nats_user),
                ("NATS_CREDS_FILE", self.nats_creds_file),
                ("NATS_NKEY_SEED_FILE", self.nats_nkey_seed_file),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give one NATS credential, not {' and '.join(given)}")
        if (self.nats_user is None) != (self.nats_password is None):
            raise ValueError("NATS_USER and NATS_PASSWORD go together")
        return self

    @property
    def app_role(self) -> str | None:
        """The application role the service connects as, when another role migrates."""
        return app_role(self.database_url, self.migration_database_url)

    def nats_credentials(self) -> NatsCredentials:
        return NatsCredentials(
            user=self.nats_user,
            password=self.nats_password.get_secret_value() if self.nats_password else None,
            creds_file=self.nats_creds_file,
            nkey_seed_file=self.nats_nkey_seed_file,
        )

    @property
    def db_schema(self) -> str:
        """The PostgreSQL schema this service owns (``sanction-execution`` → ``sanction_execution``)."""
        return self.service_name.replace("-", "_")
