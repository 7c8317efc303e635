from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_notification.errors import WrongState


class Contact(Base):
    """Where a party's notices are e-mailed: an office or body of the pack (``party`` its code),
    a member of its staff (``username`` set), or a party outside the platform
    (``source:<intake source>`` for the units that raise matters, ``person:<name>``)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("tenant", "party", "email"),)

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    username: Mapped[str | None] = mapped_column(UsernameStr)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


SUBSCRIPTIONS = StateMachine[SubscriptionState](
    "subscription",
    SubscriptionState,
    {"cancel": (SubscriptionState.ACTIVE, SubscriptionState.CANCELLED)},
    refusal=WrongState,
)


class Subscription(Base):
    """An integrator's webhook: the notices it wants (all when ``notices`` is empty), for the
    parties it speaks for (all when ``parties`` is empty), signed with its own ``secret``."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(UsernameStr)
    url: Mapped[str] = mapped_column(String(2000))
    notices: Mapped[list] = mapped_column(default=list)
    parties: Mapped[list] = mapped_column(default=list)
    # Kept to sign each delivery (HMAC needs the key itself); shown to the integrator once.
    secret: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10), default=SubscriptionState.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
