"""The two ways a notice leaves the platform: an e-mail to an SMTP server, a signed webhook POST.

Every attempt of a delivery carries the same key (the delivery's id): the e-mail's
``Message-ID`` and ``Wenze-Delivery-Id``, the webhook's ``Idempotency-Key``. A receiver that
saw an attempt succeed when the worker did not (a worker killed between the receiver's answer
and its own commit) recognises the repeat by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

import aiosmtplib
import httpx

from wenze_notification.config import NotificationSettings
from wenze_notification.deliveries.models import Delivery
from wenze_notification.notices.models import Notice

SIGNATURE_HEADER = "Wenze-Signature"
TIMESTAMP_HEADER = "Wenze-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# What a failed attempt keeps of the receiver's answer, in the log and the dead-letter list.
DETAIL_LIMIT = 300


class DeliveryFailed(Exception):
    """The receiver refused or could not be reached; the message says how, briefly."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256, keyed by the subscriber's secret, over ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def webhook_body(delivery: Delivery, notice: Notice) -> bytes:
    payload: dict[str, Any] = {
        "delivery_id": delivery.id,
        "notice_id": notice.id,
        "notice": notice.notice,
        "tenant": notice.tenant,
        "matter_id": notice.matter_id,
        "matter_number": notice.matter_number,
        "event_id": notice.event_id,
        "event": notice.event_type,
        "recipient": notice.recipient,
        "recipient_label": notice.recipient_label,
        "subject": notice.subject,
        "body": notice.body,
        "citations": notice.citations,
        "created_at": notice.created_at.isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Senders:
    settings: NotificationSettings
    http: httpx.AsyncClient

    async def email(self, delivery: Delivery, notice: Notice) -> str:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = formataddr((notice.recipient_label, delivery.destination))
        message["Subject"] = notice.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{delivery.id}@wenze>"
        message["Wenze-Delivery-Id"] = delivery.id
        message.set_content(notice.body, charset="utf-8")
        password = self.settings.smtp_password.get_secret_value() if self.settings.smtp_password else None
        try:
            _, answer = await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=password,
                start_tls=self.settings.smtp_starttls,
                use_tls=self.settings.smtp_use_tls,
                timeout=self.settings.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}"[:DETAIL_LIMIT]) from exc
        return f"smtp: {answer}"[:DETAIL_LIMIT]

    async def webhook(self, delivery: Delivery, notice: Notice, secret: str) -> str:
        body = webhook_body(delivery, notice)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: delivery.id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            response = await self.http.post(
                delivery.destination, content=body, headers=headers, timeout=self.settings.webhook_timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook: {type(exc).__name__}"[:DETAIL_LIMIT]) from exc
        if not response.is_success:
            raise DeliveryFailed(f"webhook: HTTP {response.status_code}")
        return f"webhook: HTTP {response.status_code}"
