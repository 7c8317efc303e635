from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from wenze_notification.deliveries.models import Delivery
from wenze_notification.notices.models import Notice


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    notice_id: str
    notice: str
    matter_id: str
    recipient: str
    channel: str
    destination: str
    subscription_id: str | None
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    delivered_at: dt.datetime | None
    dead_at: dt.datetime | None
    redriven_by: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, delivery: Delivery, notice: Notice) -> DeliveryRead:
        return cls(
            id=delivery.id,
            notice_id=notice.id,
            notice=notice.notice,
            matter_id=notice.matter_id,
            recipient=notice.recipient,
            channel=delivery.channel,
            destination=delivery.destination,
            subscription_id=delivery.subscription_id,
            state=delivery.state,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            dead_at=delivery.dead_at,
            redriven_by=delivery.redriven_by,
            created_at=delivery.created_at,
        )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: dt.datetime
    succeeded: bool
    detail: str


class DeliveryLogRead(BaseModel):
    delivery_id: str
    state: str
    attempts: list[AttemptRead]
