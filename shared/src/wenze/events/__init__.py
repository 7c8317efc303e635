"""Versioned event contracts, defined once and shared by producers and consumers."""

from wenze.events.base import Event, event_class_for_subject, subject_for
from wenze.events.execution import (
    AppealDecided,
    AppealFiled,
    DeadlineDue,
    DeadlineMissed,
    ExecutionCompleted,
    ExecutionOpened,
    ReadingApplied,
)
from wenze.events.intake import MatterAccepted, MatterReceived, MatterRejected, TargetSnapshot
from wenze.events.notification import NoticeFailed, NoticeSent
from wenze.events.review import (
    ConsultationConcluded,
    DecidedMeasure,
    DecisionMade,
    JointReviewConcluded,
    StepRecorded,
    TargetsIdentified,
)
from wenze.events.routing import (
    CalendarYearLoaded,
    ConsultationRequested,
    InterpretationReadingChosen,
    LocalDaysDeclared,
    MatterRouted,
    RuleStep,
    SlipOverride,
)

__all__ = [
    "AppealDecided",
    "AppealFiled",
    "CalendarYearLoaded",
    "ConsultationConcluded",
    "ConsultationRequested",
    "DeadlineDue",
    "DeadlineMissed",
    "DecidedMeasure",
    "DecisionMade",
    "Event",
    "ExecutionCompleted",
    "ExecutionOpened",
    "InterpretationReadingChosen",
    "JointReviewConcluded",
    "LocalDaysDeclared",
    "MatterAccepted",
    "MatterReceived",
    "MatterRejected",
    "MatterRouted",
    "NoticeFailed",
    "NoticeSent",
    "ReadingApplied",
    "RuleStep",
    "SlipOverride",
    "StepRecorded",
    "TargetSnapshot",
    "TargetsIdentified",
    "event_class_for_subject",
    "subject_for",
]
