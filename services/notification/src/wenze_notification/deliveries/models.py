from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_notification.errors import WrongState


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


DELIVERIES = StateMachine[DeliveryState](
    "delivery",
    DeliveryState,
    {
        # A failed attempt with attempts left keeps the delivery pending, later.
        "retry": (DeliveryState.PENDING, DeliveryState.PENDING),
        "deliver": (DeliveryState.PENDING, DeliveryState.DELIVERED),
        "give_up": (DeliveryState.PENDING, DeliveryState.DEAD),
        # An operator sends a dead-lettered delivery again.
        "redrive": (DeliveryState.DEAD, DeliveryState.PENDING),
    },
    refusal=WrongState,
)


class Delivery(Base):
    """One notice on its way to one address (e-mail) or one subscriber (webhook).

    Its id is the idempotency key the receiver sees on every attempt. The worker claims due
    deliveries for ``lease_until``; one left by a killed worker is claimed again after it."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    notice_id: Mapped[str] = mapped_column(UUIDStr, ForeignKey("notices.id"))
    channel: Mapped[str] = mapped_column(String(10))
    destination: Mapped[str] = mapped_column(String(2000))
    subscription_id: Mapped[str | None] = mapped_column(UUIDStr, ForeignKey("subscriptions.id"))
    state: Mapped[str] = mapped_column(String(10), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    dead_at: Mapped[dt.datetime | None] = mapped_column()
    redriven_by: Mapped[str | None] = mapped_column(UsernameStr)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DeliveryAttempt(Base):
    """The delivery log: every attempt, its outcome and what the receiver answered."""

    __tablename__ = "delivery_attempts"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(UUIDStr, ForeignKey("deliveries.id"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool] = mapped_column()
    detail: Mapped[str] = mapped_column(String(500))
