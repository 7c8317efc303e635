from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from wenze.config import ServiceSettings
from wenze_intake.imports.parsers import DEFAULT_LIMITS, ImportLimits


class IntakeSettings(ServiceSettings):
    """Environment prefix ``WENZE_INTAKE_`` (e.g. ``WENZE_INTAKE_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="WENZE_INTAKE_", extra="ignore")

    service_name: str = "intake"
    max_attachment_bytes: int = 50 * 1024 * 1024
    max_import_bytes: int = 512 * 1024 * 1024
    # Rows per batch transaction (ADR 0003). Each batch also pays a dozen round trips and its
    # audit entry, which 2,000 rows share: 15 % faster than 500 in part b of `make bench`.
    import_batch_size: int = Field(default=2000, ge=1, le=10_000, description="rows registered per transaction")
    run_import_jobs: bool = Field(default=True, description="the worker runs queued import jobs")
    import_poll_seconds: float = Field(default=0.25, gt=0, description="how often an idle worker looks for a job")
    import_max_rows: int = Field(default=DEFAULT_LIMITS.max_rows, ge=1)
    import_max_columns: int = Field(default=DEFAULT_LIMITS.max_columns, ge=1)
    import_max_value_chars: int = Field(default=DEFAULT_LIMITS.max_value_chars, ge=1)
    import_max_line_bytes: int = Field(default=DEFAULT_LIMITS.max_line_bytes, ge=2)
    import_max_unpacked_bytes: int = Field(default=DEFAULT_LIMITS.max_unpacked_bytes, ge=1)
    import_max_empty_rows: int = Field(default=DEFAULT_LIMITS.max_empty_rows, ge=1)
    import_memory_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024, ge=256 * 1024 * 1024, description="address space of one job's process"
    )
    import_cpu_seconds: int = Field(default=900, ge=1, description="processor time one job's process may use")

    def import_limits(self) -> ImportLimits:
        return ImportLimits(
            max_rows=self.import_max_rows,
            max_columns=self.import_max_columns,
            max_value_chars=self.import_max_value_chars,
            max_line_bytes=self.import_max_line_bytes,
            max_unpacked_bytes=self.import_max_unpacked_bytes,
            max_empty_rows=self.import_max_empty_rows,
        )
