from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_notification.errors import WrongState


class NoticeState(StrEnum):
    UNREAD = "unread"
    READ = "read"


NOTICES = StateMachine[NoticeState](
    "notice",
    NoticeState,
    {"read": (NoticeState.UNREAD, NoticeState.READ), "unread": (NoticeState.READ, NoticeState.UNREAD)},
    refusal=WrongState,
)


class RecipientKind(StrEnum):
    # An office or body of the pack's vocabulary: it has an in-app inbox.
    OFFICE = "office"
    # A member of an office's staff, by username: a personal inbox.
    USER = "user"
    # Outside the platform (the unit that raised a matter, the person concerned): e-mail and
    # webhooks only.
    PARTY = "party"


class Notice(Base):
    """One notice to one recipient, made once from one event (``event_id``) by the rule of the
    pack that says so (``citation``). Its deliveries by e-mail and webhook hang off it."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("event_id", "notice", "recipient_kind", "recipient"),
        Index("ix_notices_inbox", "tenant", "recipient_kind", "recipient", "created_at"),
    )

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str | None] = mapped_column(String(80))
    event_id: Mapped[str] = mapped_column(UUIDStr)
    event_type: Mapped[str] = mapped_column(String(60))
    notice: Mapped[str] = mapped_column(String(60))
    recipient_kind: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(255))
    recipient_label: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(10), default=NoticeState.UNREAD)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column()
    read_by: Mapped[str | None] = mapped_column(UsernameStr)
