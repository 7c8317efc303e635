"""Review's copy of the working-day calendar routing keeps (ADR 0011, ADR 0031): the national
years platform operators loaded and each tenant's local days, as routing's events told them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, utcnow


class RoutingCalendarYear(Base):
    """One national year (a ``wenze.calendar.YearDefinition``) loaded through routing, for every tenant."""

    __tablename__ = "routing_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    definition: Mapped[dict] = mapped_column()
    loaded_by: Mapped[str] = mapped_column(UsernameStr)
    # Routing's stamp: of two loads of one year, the later one stands, whatever the order in
    # which their events arrive.
    loaded_at: Mapped[dt.datetime] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RoutingLocalDays(Base):
    """One tenant's local days of one year (a ``wenze.calendar.LocalDays``), as declared through routing."""

    __tablename__ = "routing_local_days"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    days: Mapped[dict] = mapped_column()
    declared_by: Mapped[str] = mapped_column(UsernameStr)
    declared_at: Mapped[dt.datetime] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
