"""The national working-day calendar and each tenant's local days, in routing's database, so
every process of the service counts the same days."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, utcnow


class NationalYear(Base):
    """One year of the national calendar (a ``wenze.calendar.YearDefinition``), loaded by a
    platform operator for every tenant."""

    __tablename__ = "calendar_national_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    definition: Mapped[dict] = mapped_column()
    loaded_by: Mapped[str] = mapped_column(UsernameStr)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TenantLocalDays(Base):
    """One tenant's local working-day changes of one year (a ``wenze.calendar.LocalDays``)."""

    __tablename__ = "calendar_local_days"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    days: Mapped[dict] = mapped_column()
    declared_by: Mapped[str] = mapped_column(UsernameStr)
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
