from __future__ import annotations

import datetime as dt
import uuid

import pytest

from wenze.events import MatterRejected, event_class_for_subject


def rejected() -> MatterRejected:
    return MatterRejected(
        tenant="jintan",
        matter_id=uuid.uuid4(),
        number="JT-2026-00001",
        outcome="transferred",
        reason="属地管理",
        transferred_to="区教育局",
        study_date=dt.date(2026, 5, 6),
        participants=["甲"],
        decided_by="jt-conduct-office",
    )


def test_subject_has_service_tenant_aggregate_event_version() -> None:
    assert rejected().subject == "intake.jintan.matter.rejected.v1"


def test_subject_resolves_back_to_the_contract() -> None:
    event_type, tenant = event_class_for_subject("intake.hubei.matter.rejected.v1")
    assert event_type is MatterRejected and tenant == "hubei"
    event = rejected()
    assert event_type.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("subject", ["intake.kunshan.matter.rejected.v9", "intake.kunshan.matter", "x.y.z.w.q"])
def test_unknown_subjects_raise(subject: str) -> None:
    with pytest.raises(KeyError):
        event_class_for_subject(subject)
