from __future__ import annotations

from typing import IO, Any

from wenze.cli.client import media_type_for
from wenze_console.web import TenantPage


def sources(page: TenantPage) -> list[dict[str, Any]]:
    with page.intake() as intake:
        return intake.sources()


def submit(page: TenantPage, body: dict[str, Any]) -> dict[str, Any]:
    with page.intake() as intake:
        matter, _ = intake.submit(body)
    return matter


def accept(page: TenantPage, reference: str, body: dict[str, Any]) -> dict[str, Any]:
    with page.intake() as intake:
        return intake.accept(intake.matter_id(reference), body)


def import_media_type(filename: str) -> str | None:
    from pathlib import PurePath

    return media_type_for(PurePath(filename))  # type: ignore[arg-type]


def start_import(page: TenantPage, content: IO[bytes], media_type: str, filename: str) -> dict[str, Any]:
    with page.intake() as intake:
        return intake.start_import(content, media_type=media_type, filename=filename)


def import_progress(page: TenantPage, job_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job, and its refused rows once it has finished."""
    with page.intake() as intake:
        job = intake.get_import(job_id)
        refused = intake.import_errors(job_id) if job["state"] in ("completed", "failed") and job["refused"] else []
    return job, refused
