"""Each reading a tenant's administrator chose for an interpretation point, one row per choice:
the choices are the record, never rewritten (docs/rules-authoring.md#interpretation-points)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, utcnow


class InterpretationChoice(Base):
    __tablename__ = "interpretation_choices"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    point: Mapped[str] = mapped_column(String(80), primary_key=True)
    # 1 for a point's first choice; the key refuses two choices of one version.
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reading: Mapped[str] = mapped_column(String(80))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    chosen_by: Mapped[str] = mapped_column(UsernameStr)
    chosen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
