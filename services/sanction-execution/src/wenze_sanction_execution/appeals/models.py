"""Appeals (申诉) against a decision by the person it concerns."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_sanction_execution.errors import AppealStateConflict


class AppealState(StrEnum):
    FILED = "filed"
    DECIDED = "decided"


APPEALS = StateMachine[AppealState](
    "appeal", AppealState, {"decide": (AppealState.FILED, AppealState.DECIDED)}, refusal=AppealStateConflict
)


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    decision_id: Mapped[str] = mapped_column(UUIDStr)
    decision_number: Mapped[str] = mapped_column(String(80))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[str] = mapped_column(UUIDStr)
    received_on: Mapped[dt.date] = mapped_column(Date)
    filed_on: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    heard_by: Mapped[list] = mapped_column(default=list)
    suspends_execution: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    measures: Mapped[list | None] = mapped_column()
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(UsernameStr)
    citations: Mapped[list] = mapped_column(default=list)
    # The interpretation points the appeal's terms depended on and the reading each was read under.
    interpretations: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_appeals_tenant_decision_person", "tenant", "decision_id", "person_id"),)
