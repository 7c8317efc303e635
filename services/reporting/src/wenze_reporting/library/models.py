"""The case library's own state: which decided cases are marked typical (典型案例).

It is not a projection of events, so a rebuild keeps it: the mark names the decision by id
and finds its case again once the decision's event is replayed.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.problems import Conflict


class MarkRefused(Conflict):
    slug = "case-mark-refused"
    title = "The case is not in a state that allows this"


class MarkState(StrEnum):
    TYPICAL = "typical"
    WITHDRAWN = "withdrawn"


CASE_MARKS = StateMachine[MarkState](
    "case mark",
    MarkState,
    {
        "withdraw": (MarkState.TYPICAL, MarkState.WITHDRAWN),
        "remark": (MarkState.WITHDRAWN, MarkState.TYPICAL),
    },
    refusal=MarkRefused,
)


class CaseMark(Base):
    """A decided case marked typical for the public notice and training; a withdrawn mark stays
    as a row so the history of who marked and withdrew it is kept."""

    __tablename__ = "case_marks"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    decision_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    state: Mapped[str] = mapped_column(String(12), default=MarkState.TYPICAL)
    reason: Mapped[str] = mapped_column(Text)
    marked_by: Mapped[str] = mapped_column(UsernameStr)
    marked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(UsernameStr)
    changed_at: Mapped[dt.datetime | None] = mapped_column()
