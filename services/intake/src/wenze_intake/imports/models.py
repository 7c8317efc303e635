from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id


class ImportJobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


IMPORT_JOBS = StateMachine[ImportJobState](
    "import job",
    ImportJobState,
    {
        "claim": (ImportJobState.QUEUED, ImportJobState.RUNNING),
        # A running job whose runner stopped reporting; the move keeps the state, so it also
        # requires the heartbeat the new runner read (``unchanged``), which a live runner renews.
        "take_over": (ImportJobState.RUNNING, ImportJobState.RUNNING),
        # The runner stops (SIGTERM) or cannot start the job's process: the next one resumes it.
        "requeue": (ImportJobState.RUNNING, ImportJobState.QUEUED),
        "complete": (ImportJobState.RUNNING, ImportJobState.COMPLETED),
        "fail": (ImportJobState.RUNNING, ImportJobState.FAILED),
    },
)


class ImportJob(Base):
    """A bulk import. Progress is committed with each batch, so a restart resumes where it stopped."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ImportJobState.QUEUED)
    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str | None] = mapped_column(String(255))
    file_path: Mapped[str] = mapped_column(Text)
    file_bytes: Mapped[int] = mapped_column(Integer)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(UsernameStr)
    # The office the job was started for: the job, its refused rows and the matters it
    # registers belong to it (NULL for an integrator, whose username is enough).
    created_by_office: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    failure: Mapped[str | None] = mapped_column(Text)


class ImportRowError(Base):
    __tablename__ = "import_row_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    errors: Mapped[list] = mapped_column()
