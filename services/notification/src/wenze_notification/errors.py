"""The notification service's problem types; each keeps one stable ``type`` URI."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from wenze.problems import Conflict, NotFound

T = TypeVar("T")


async def found(row_id: str, not_found: type[NotFound], what: str, lookup: Callable[[], Awaitable[T | None]]) -> T:
    """What ``lookup`` finds for ``row_id``; ``not_found`` (a 404) when ``row_id`` is not a UUID
    or nothing is found that the caller may see."""
    try:
        uuid.UUID(row_id)
    except ValueError:
        # Not echoed: the path may hold anything, of any length.
        raise not_found(f"no {what} has the id in the path, which is not a UUID") from None
    row = await lookup()
    if row is None:
        raise not_found(f"no {what} {row_id} for the caller")
    return row


class NoticeNotFound(NotFound):
    slug = "notice-not-found"
    title = "Notice not found"


class DeliveryNotFound(NotFound):
    slug = "delivery-not-found"
    title = "Delivery not found"


class SubscriptionNotFound(NotFound):
    slug = "subscription-not-found"
    title = "Webhook subscription not found"


class ContactNotFound(NotFound):
    slug = "contact-not-found"
    title = "Contact not found"


class ContactExists(Conflict):
    slug = "contact-exists"
    title = "Already a contact of this party"


class MatterNotFound(NotFound):
    """The notification service has heard of no such matter the caller may read."""

    slug = "matter-not-found"
    title = "Matter not found"


class DocumentKindUnknown(NotFound):
    slug = "document-kind-unknown"
    title = "No such document"


class WrongState(Conflict):
    slug = "notification-state-refused"
    title = "Not possible in the current state"


class DocumentNotReady(Conflict):
    """The form takes another service's number, which that service has not announced yet."""

    slug = "document-not-ready"
    title = "The document cannot be issued yet"
