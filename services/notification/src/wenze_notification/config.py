from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings
from wenze.fonts import DEFAULT_FONT_PATH


class NotificationSettings(ServiceSettings):
    """Environment prefix ``WENZE_NOTIFICATION_`` (e.g. ``WENZE_NOTIFICATION_DATABASE_URL``).

    The SMTP and delivery settings are described in docs/operations/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="WENZE_NOTIFICATION_", extra="ignore")

    service_name: str = "notification"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_from: str = "wenze@localhost"

    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Retries: the n-th failed attempt waits base * 2**(n-1) seconds, at most the cap; after
    # max_attempts the delivery is dead-lettered for an operator to re-drive.
    delivery_max_attempts: int = Field(default=8, ge=1)
    delivery_backoff_base_seconds: float = Field(default=30.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    # How long a claimed delivery stays with the worker that claimed it; a worker killed
    # mid-send leaves it to another after this.
    delivery_lease_seconds: float = Field(default=120.0, gt=0)
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    delivery_batch_size: int = Field(default=20, ge=1)

    # The CJK font the PDF documents are set in; fetched from Debian's fonts-wqy-zenhei by
    # `make fonts` (docs/notification.md).
    font_path: Path = DEFAULT_FONT_PATH
