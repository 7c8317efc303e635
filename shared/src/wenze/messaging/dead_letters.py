"""Events a consumer gave up on, kept for operators (docs/operations.md#dead-letters).

A durable consumer gives an event up when its payload cannot be read as its contract says,
when its payload names another tenant than its subject, or when its handler has failed on
every delivery the consumer allows (``ConsumerSpec.max_deliver``). Left to JetStream, such a
message would just stop being delivered, with an advisory nobody keeps, and the matter it
concerns would stand still unnoticed. Instead the consumer copies it here, to stream
``DEAD_LETTERS`` on subject ``dead_letters.<durable>`` with the reason in its headers, and only
then terminates it.

An operator lists them (``wenze dead-letters list``) and, once the cause is mended, sends one
back to its original subject (``wenze dead-letters replay``). Every consumer of that subject
then receives it again; those that had handled it already find its id in their inbox and
change nothing (ADR 0001).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from wenze.messaging.streams import DUPLICATE_WINDOW_SECONDS, StreamSpec

DEAD_LETTERS = StreamSpec(name="DEAD_LETTERS", subject_prefix="dead_letters")
# Long enough for an operator back from leave to find what failed; a dead letter replayed or
# dropped is deleted from the stream at once.
DEAD_LETTER_MAX_AGE_SECONDS = 180 * 24 * 3600
# How much of a failure's description a dead letter keeps: its headers are read by operators,
# and the exception's text may quote the payload.
DETAIL_CHARS = 300

HEADER_CONSUMER = "Wenze-Dead-Letter-Consumer"
HEADER_SUBJECT = "Wenze-Dead-Letter-Subject"
HEADER_REASON = "Wenze-Dead-Letter-Reason"
HEADER_DETAIL = "Wenze-Dead-Letter-Detail"
HEADER_DELIVERIES = "Wenze-Dead-Letter-Deliveries"
HEADER_SEQUENCE = "Wenze-Dead-Letter-Stream-Sequence"
_OWN_HEADERS = (HEADER_CONSUMER, HEADER_SUBJECT, HEADER_REASON, HEADER_DETAIL, HEADER_DELIVERIES, HEADER_SEQUENCE)


class Reason(StrEnum):
    UNREADABLE = "unreadable"  # the payload is not the contract's event
    WRONG_TENANT = "wrong-tenant"  # the payload names another tenant than its subject
    FAILED = "failed"  # the handler failed on the last delivery allowed
    WAITED_TOO_LONG = "waited-too-long"  # what the event depends on never came


def subject_for(durable: str) -> str:
    return f"{DEAD_LETTERS.subject_prefix}.{durable}"


async def ensure_dead_letter_stream(js: JetStreamContext, *, replicas: int = 1) -> None:
    """Create the stream unless it exists; whichever consumer starts first creates it."""
    try:
        await js.stream_info(DEAD_LETTERS.name)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=DEAD_LETTERS.name,
                subjects=DEAD_LETTERS.subjects,
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW_SECONDS,
                max_age=DEAD_LETTER_MAX_AGE_SECONDS,
                num_replicas=replicas,
            )
        )


async def park(js: JetStreamContext, durable: str, message: Msg, reason: Reason, detail: str) -> None:
    """Copy ``message`` to the dead letters of consumer ``durable``. The copy's message id is
    the original's stream position and the consumer, so parking it again after a crash before
    the original was terminated keeps one dead letter."""
    metadata = message.metadata
    headers = {
        key: value for key, value in (message.headers or {}).items() if key != "Nats-Msg-Id" and key not in _OWN_HEADERS
    }
    headers |= {
        HEADER_CONSUMER: durable,
        HEADER_SUBJECT: message.subject,
        HEADER_REASON: reason.value,
        HEADER_DETAIL: " ".join(detail.split())[:DETAIL_CHARS],
        HEADER_DELIVERIES: str(metadata.num_delivered),
        HEADER_SEQUENCE: str(metadata.sequence.stream),
        "Nats-Msg-Id": f"{metadata.stream}:{metadata.sequence.stream}:{durable}",
    }
    await js.publish(subject_for(durable), message.data, headers=headers)


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    consumer: str
    subject: str
    reason: str
    detail: str
    deliveries: int
    parked_at: dt.datetime | None
    event_id: str | None
    data: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, raw: RawStreamMsg) -> DeadLetter:
        headers = dict(raw.headers or {})
        assert raw.seq is not None
        return cls(
            sequence=raw.seq,
            consumer=headers.get(HEADER_CONSUMER, ""),
            subject=headers.get(HEADER_SUBJECT, ""),
            reason=headers.get(HEADER_REASON, ""),
            detail=headers.get(HEADER_DETAIL, ""),
            deliveries=int(headers.get(HEADER_DELIVERIES) or 0),
            parked_at=raw.time,
            event_id=_event_id(raw.data or b""),
            data=raw.data or b"",
            headers=headers,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "consumer": self.consumer,
            "subject": self.subject,
            "reason": self.reason,
            "detail": self.detail,
            "deliveries": self.deliveries,
            "parked_at": self.parked_at.isoformat() if self.parked_at else None,
            "event_id": self.event_id,
        }

    def original_headers(self) -> dict[str, str]:
        """The headers the event was first published with (its trace context), without a
        message id: the original's id is inside the source stream's duplicate window when a
        replay follows soon after, and the copy would be dropped as a duplicate."""
        return {k: v for k, v in self.headers.items() if k not in _OWN_HEADERS and k != "Nats-Msg-Id"}


def _event_id(data: bytes) -> str | None:
    try:
        payload = json.loads(data)
    except ValueError:
        return None
    event_id = payload.get("event_id") if isinstance(payload, dict) else None
    return str(event_id)[:64] if event_id is not None else None


async def dead_letters(js: JetStreamContext, *, consumer: str | None = None, limit: int = 50) -> list[DeadLetter]:
    """The oldest ``limit`` dead letters (of ``consumer`` only, if named)."""
    try:
        info = await js.stream_info(DEAD_LETTERS.name)
    except NotFoundError:
        return []
    found: list[DeadLetter] = []
    if not info.state.messages:
        return found
    sequence = info.state.first_seq
    subject = subject_for(consumer) if consumer else DEAD_LETTERS.subjects[0]
    while len(found) < limit and sequence <= info.state.last_seq:
        try:
            raw = await js.get_msg(DEAD_LETTERS.name, seq=sequence, next=True, subject=subject)
        except NotFoundError:
            break
        assert raw.seq is not None
        found.append(DeadLetter.of(raw))
        sequence = raw.seq + 1
    return found


async def dead_letter(js: JetStreamContext, sequence: int) -> DeadLetter | None:
    try:
        return DeadLetter.of(await js.get_msg(DEAD_LETTERS.name, seq=sequence))
    except NotFoundError:
        return None


async def replay(js: JetStreamContext, letter: DeadLetter) -> int:
    """Publish ``letter`` again on its original subject, then delete it; the new stream sequence."""
    ack = await js.publish(letter.subject, letter.data, headers=letter.original_headers() or None)
    await js.delete_msg(DEAD_LETTERS.name, letter.sequence)
    return ack.seq


async def drop(js: JetStreamContext, letter: DeadLetter) -> None:
    await js.delete_msg(DEAD_LETTERS.name, letter.sequence)
