"""Executions of decided measures, their steps, who reads them, and their deadlines."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_sanction_execution.errors import DeadlineStateConflict, ExecutionStateConflict, StepStateConflict


class ExecutionState(StrEnum):
    OPEN = "open"
    """Steps remain to be done."""
    SUSPENDED = "suspended"
    """An appeal is heard and the pack says execution stops meanwhile."""
    CARRIED_OUT = "carried_out"
    """Every step is done."""
    REVOKED = "revoked"
    """The appeal revoked the measure, or varied the decision without it."""


EXECUTIONS = StateMachine[ExecutionState](
    "execution",
    ExecutionState,
    {
        "complete": (ExecutionState.OPEN, ExecutionState.CARRIED_OUT),
        "suspend": (ExecutionState.OPEN, ExecutionState.SUSPENDED),
        "resume": (ExecutionState.SUSPENDED, ExecutionState.OPEN),
        "revoke": ((ExecutionState.OPEN, ExecutionState.SUSPENDED, ExecutionState.CARRIED_OUT), ExecutionState.REVOKED),
    },
    refusal=ExecutionStateConflict,
)


class StepState(StrEnum):
    PENDING = "pending"
    DONE = "done"


STEPS = StateMachine[StepState](
    "execution step", StepState, {"complete": (StepState.PENDING, StepState.DONE)}, refusal=StepStateConflict
)


class DeadlineState(StrEnum):
    PENDING = "pending"
    """Not yet within its lead time."""
    REMINDED = "reminded"
    """``deadline.due`` was published."""
    MISSED = "missed"
    """``deadline.missed`` was published; it stays open until the duty is done."""
    MET = "met"
    SUSPENDED = "suspended"
    """Its execution is suspended by an appeal: nothing fires."""
    CANCELLED = "cancelled"
    """Its execution was revoked."""


OPEN_DEADLINES = (DeadlineState.PENDING, DeadlineState.REMINDED, DeadlineState.MISSED)

DEADLINES = StateMachine[DeadlineState](
    "deadline",
    DeadlineState,
    {
        "remind": (DeadlineState.PENDING, DeadlineState.REMINDED),
        "miss": ((DeadlineState.PENDING, DeadlineState.REMINDED), DeadlineState.MISSED),
        "meet": (OPEN_DEADLINES, DeadlineState.MET),
        "suspend": ((DeadlineState.PENDING, DeadlineState.REMINDED), DeadlineState.SUSPENDED),
        "resume": (DeadlineState.SUSPENDED, DeadlineState.PENDING),
        "cancel": ((*OPEN_DEADLINES, DeadlineState.SUSPENDED), DeadlineState.CANCELLED),
    },
    refusal=DeadlineStateConflict,
)


class Execution(Base):
    """One decided measure carried out for one target."""

    __tablename__ = "executions"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    decision_id: Mapped[str] = mapped_column(UUIDStr)
    decision_number: Mapped[str] = mapped_column(String(80))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[str] = mapped_column(UUIDStr)
    target: Mapped[dict] = mapped_column()
    measure: Mapped[str] = mapped_column(String(60))
    # The office that decided carries the execution out and answers for its deadlines.
    office: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    announced_on: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    citations: Mapped[list] = mapped_column(default=list)
    # The interpretation points the execution's plan depended on and the reading each was read under.
    interpretations: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant", "decision_id", "person_id", "measure", name="uq_executions_decision_person_measure"),
        Index("ix_executions_tenant_person", "tenant", "person_id"),
        Index("ix_executions_tenant_decision", "tenant", "decision_id"),
        Index("ix_executions_tenant_matter", "tenant", "matter_id"),
    )


class ExecutionStep(Base):
    """One step of an execution, in the pack's order, done by its actor or the executing office."""

    __tablename__ = "execution_steps"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    execution_id: Mapped[str] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), index=True)
    tenant: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(60))
    joined_by: Mapped[list] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_by: Mapped[str | None] = mapped_column(UsernameStr)
    completed_office: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    # The pack's numbering kind of the document the step issues (Kunshan's recommendation
    # letter), and the number it got when the step was done.
    numbering: Mapped[str | None] = mapped_column(String(60))
    document_number: Mapped[str | None] = mapped_column(String(80))
    citations: Mapped[list] = mapped_column(default=list)

    __table_args__ = (UniqueConstraint("execution_id", "code", name="uq_execution_steps_code"),)


class ExecutionAccess(Base):
    """One fact deciding who reads an execution (``wenze.auth.access``): an office party to it,
    or its target's level or unit; rows, so lists filter in SQL."""

    __tablename__ = "execution_access"

    execution_id: Mapped[str] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_execution_access_tenant_facet_value", "tenant", "facet", "value"),)


class Deadline(Base):
    """A duty of an execution with its due date, fired by the scheduler once each way."""

    __tablename__ = "deadlines"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    execution_id: Mapped[str] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), index=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(80))
    office: Mapped[str] = mapped_column(String(60))
    duty: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    remind_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    citations: Mapped[list] = mapped_column(default=list)
    # The interpretation points its due date depended on and the reading each was read under.
    interpretations: Mapped[list] = mapped_column(default=list)
    fired_due_at: Mapped[dt.datetime | None] = mapped_column()
    fired_missed_at: Mapped[dt.datetime | None] = mapped_column()
    met_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("execution_id", "duty", name="uq_deadlines_execution_duty"),
        Index("ix_deadlines_tenant_state_remind", "tenant", "state", "remind_on"),
        Index("ix_deadlines_tenant_office_state", "tenant", "office", "state"),
    )
