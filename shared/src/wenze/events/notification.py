"""Events produced by the notification service (stream ``NOTIFICATION``, subjects ``notification.>``).

A notice is told to one recipient; each of its deliveries (one e-mail address, one webhook
subscriber) ends delivered or, after its retries, dead-lettered.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from wenze.events.base import Event


class _NoticeEvent(Event):
    service: ClassVar[str] = "notification"
    aggregate: ClassVar[str] = "notice"

    notice_id: uuid.UUID
    delivery_id: uuid.UUID
    notice: str
    recipient: str
    channel: Literal["email", "webhook"]
    attempts: int


class NoticeSent(_NoticeEvent):
    """The receiver accepted the delivery (the SMTP server took the message, the webhook answered 2xx)."""

    name: ClassVar[str] = "sent"


class NoticeFailed(_NoticeEvent):
    """Every attempt failed: the delivery is dead-lettered until an operator re-drives it."""

    name: ClassVar[str] = "failed"

    last_error: str
