"""Versioned event contracts, defined once and shared by producers and consumers."""

from wenze.events.base import Event, event_class_for_subject, subject_for
from wenze.events.intake import MatterAccepted, MatterReceived, MatterRejected, TargetSnapshot
from wenze.events.review import ConsultationConcluded, DecidedMeasure, DecisionMade, TargetsIdentified
from wenze.events.routing import ConsultationRequested, MatterRouted, RuleStep

__all__ = [
    "ConsultationConcluded",
    "ConsultationRequested",
    "DecidedMeasure",
    "DecisionMade",
    "Event",
    "MatterAccepted",
    "MatterReceived",
    "MatterRejected",
    "MatterRouted",
    "RuleStep",
    "TargetSnapshot",
    "TargetsIdentified",
    "event_class_for_subject",
    "subject_for",
]
