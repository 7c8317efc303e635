"""Versioned event contracts, defined once and shared by producers and consumers."""

from wenze.events.base import Event, event_class_for_subject, subject_for
from wenze.events.intake import MatterAccepted, MatterReceived, MatterRejected

__all__ = [
    "Event",
    "MatterAccepted",
    "MatterReceived",
    "MatterRejected",
    "event_class_for_subject",
    "subject_for",
]
