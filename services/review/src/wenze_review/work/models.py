from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_review.errors import WrongState


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


TASKS = StateMachine[TaskState](
    "task",
    TaskState,
    {
        "close": (TaskState.OPEN, TaskState.DONE),
        # The step no longer applies (e.g. the case was reclassified).
        "cancel": (TaskState.OPEN, TaskState.CANCELLED),
    },
    refusal=WrongState,
)


class Task(Base):
    """An open (or done) step of the workflow, in the queue of the office it belongs to.

    ``history`` holds its hand-overs (opened, claimed, reassigned); its closing is
    ``state``, ``closed_at`` and ``closed_by``, set by one set-based update for all the
    tasks a step closes.
    """

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    office: Mapped[str] = mapped_column(String(80))
    capability: Mapped[str] = mapped_column(String(40))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    case_id: Mapped[str | None] = mapped_column(UUIDStr)
    subject_id: Mapped[str] = mapped_column(UUIDStr)
    target_index: Mapped[int | None] = mapped_column(Integer)
    citations: Mapped[list] = mapped_column(default=list)
    due: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default=TaskState.OPEN)
    assignee: Mapped[str | None] = mapped_column(UsernameStr)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(UsernameStr)
    history: Mapped[list] = mapped_column(default=list)

    __table_args__ = (
        Index("ix_tasks_tenant_office_state", "tenant", "office", "state"),
        Index("ix_tasks_subject", "subject_id", "kind"),
    )


class TimelineEntry(Base):
    """One action on a matter's review, with who, for which office, and what required it."""

    __tablename__ = "review_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(40))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    case_id: Mapped[str | None] = mapped_column(UUIDStr)
    subject_id: Mapped[str | None] = mapped_column(UUIDStr)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    citations: Mapped[list] = mapped_column(default=list)
    detail: Mapped[dict] = mapped_column(default=dict)

    __table_args__ = (
        Index("ix_review_timeline_tenant_matter", "tenant", "matter_id", "id"),
        Index("ix_review_timeline_tenant_case", "tenant", "case_id", "id"),
    )


# As long as the task's office: a longer office code cannot hold a task.
MEMBER_OFFICE_LENGTH = 80


class OfficeMember(Base):
    """A user as their latest verified token showed them: the office they act for, their
    capabilities and authority. Keycloak's users cannot be listed by the service, so a task is
    handed only to a user recorded here (docs/adr/0012)."""

    __tablename__ = "office_members"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(UsernameStr, primary_key=True)
    office: Mapped[str] = mapped_column(String(MEMBER_OFFICE_LENGTH))
    capabilities: Mapped[list] = mapped_column(default=list)
    # The cadre and organisation levels their office has authority over (干部管理权限): a task
    # is handed only to someone whose authority covers its targets.
    cadre_authority: Mapped[list] = mapped_column(default=list, server_default=text("'[]'"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
