from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Environment prefix ``WENZE_INTAKE_`` (e.g. ``WENZE_INTAKE_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_INTAKE_", extra="ignore")

    service_name: str = "intake"
    max_attachment_bytes: int = 50 * 1024 * 1024
    max_import_bytes: int = 512 * 1024 * 1024
    import_batch_size: int = 500
    run_import_jobs: bool = True
