from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.ids import new_id


class IssuedDocument(Base):
    """A form issued for a matter (分办单, 会商表, 会审表, 组织处理建议函): its number, given once
    by the pack's pattern, and the data it was filled from, so it renders the same each time."""

    __tablename__ = "issued_documents"
    __table_args__ = (UniqueConstraint("tenant", "matter_id", "kind", "subject_key"),)

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    kind: Mapped[str] = mapped_column(String(60))
    # What the document is about within the matter: the execution a letter is for, say.
    subject_key: Mapped[str] = mapped_column(String(80), default="")
    number: Mapped[str] = mapped_column(String(80))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    fields: Mapped[dict] = mapped_column(default=dict)
    issued_by: Mapped[str] = mapped_column(UsernameStr)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
