"""The notification worker: the outbox relay, the consumers of the events people must be told
about, and the delivery loop that sends notices by e-mail and webhook."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

from wenze.db.base import utcnow
from wenze.events import (
    AppealDecided,
    AppealFiled,
    ConsultationConcluded,
    ConsultationRequested,
    DeadlineDue,
    DeadlineMissed,
    DecisionMade,
    ExecutionCompleted,
    ExecutionOpened,
    JointReviewConcluded,
    MatterAccepted,
    MatterReceived,
    MatterRejected,
    MatterRouted,
)
from wenze.messaging.consumer import ConsumerSpec
from wenze.rules import get_pack
from wenze.runtime import Runtime
from wenze_notification.config import NotificationSettings
from wenze_notification.notices.service import NoticeService
from wenze_notification.services import build_services


def _settings(runtime: Runtime) -> NotificationSettings:
    settings = runtime.settings
    assert isinstance(settings, NotificationSettings)
    return settings


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec[Any]]:
    notices = NoticeService(runtime.uow, packs=get_pack, clock=utcnow)
    return (
        ConsumerSpec.for_event("notification-matter-received", MatterReceived, notices.matter_received),
        ConsumerSpec.for_event("notification-matter-accepted", MatterAccepted, notices.matter_accepted),
        ConsumerSpec.for_event("notification-matter-rejected", MatterRejected, notices.matter_rejected),
        ConsumerSpec.for_event("notification-matter-routed", MatterRouted, notices.matter_routed),
        ConsumerSpec.for_event(
            "notification-consultation-requested", ConsultationRequested, notices.consultation_requested
        ),
        ConsumerSpec.for_event(
            "notification-consultation-concluded", ConsultationConcluded, notices.consultation_concluded
        ),
        ConsumerSpec.for_event(
            "notification-joint-review-concluded", JointReviewConcluded, notices.joint_review_concluded
        ),
        ConsumerSpec.for_event("notification-decision-made", DecisionMade, notices.decision_made),
        ConsumerSpec.for_event("notification-execution-opened", ExecutionOpened, notices.execution_opened),
        ConsumerSpec.for_event("notification-execution-completed", ExecutionCompleted, notices.execution_completed),
        ConsumerSpec.for_event("notification-deadline-due", DeadlineDue, notices.deadline_due),
        ConsumerSpec.for_event("notification-deadline-missed", DeadlineMissed, notices.deadline_missed),
        ConsumerSpec.for_event("notification-appeal-filed", AppealFiled, notices.appeal_filed),
        ConsumerSpec.for_event("notification-appeal-decided", AppealDecided, notices.appeal_decided),
    )


def loops(runtime: Runtime) -> Sequence[Coroutine[Any, Any, None]]:
    deliveries = build_services(runtime.uow, _settings(runtime)).deliveries
    return (deliveries.run(runtime.stop),)
