"""The progress of a matter from its timeline entries: the same whatever order they are read
in, execution complete only when every execution is, and the OpenAPI examples valid."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest

from wenze.events import Event, ExecutionCompleted, ExecutionOpened, MatterReceived, StepRecorded, TargetSnapshot
from wenze.rules import get_pack
from wenze_reporting.progress.models import TimelineEntry
from wenze_reporting.progress.schemas import ProgressList, ProgressRead
from wenze_reporting.progress.service import progress_of, timeline_row

MATTER = uuid.uuid4()
DECISION = uuid.uuid4()
TARGET = TargetSnapshot(kind="person", name="张某", unit="玉山镇", cadre_level="city_managed")
START = dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)


def at(hours: int) -> dict:
    return {"tenant": "kunshan", "matter_id": MATTER, "occurred_at": START + dt.timedelta(hours=hours)}


def opened(hours: int, execution: uuid.UUID) -> ExecutionOpened:
    return ExecutionOpened(
        **at(hours),
        execution_id=execution,
        decision_id=DECISION,
        decision_number="KS-DEC-2026-00001",
        matter_number="KS-2026-00001",
        target=TARGET,
        measure="admonishment",
        office="discipline_supervision_office",
        steps=[],
        citations=[],
    )


def completed(hours: int, execution: uuid.UUID) -> ExecutionCompleted:
    return ExecutionCompleted(
        **at(hours), execution_id=execution, decision_id=DECISION, matter_number="KS-2026-00001", outcome="carried_out"
    )


def entries(events: list[Event]) -> list[TimelineEntry]:
    pack = get_pack("kunshan")
    return [TimelineEntry(**timeline_row(pack, event)) for event in events]


def events_of_a_matter() -> list[Event]:
    first, second = uuid.uuid4(), uuid.uuid4()
    return [
        MatterReceived(
            **at(0),
            number="KS-2026-00001",
            source="inspection",
            source_reference=None,
            summary="推进不力",
            key_supervised=False,
            proposed_form=None,
            targets=[TARGET],
        ),
        StepRecorded(
            **at(1),
            kind="case",
            case_id=uuid.uuid4(),
            subject_id=None,
            action="case_opened",
            office="discipline_supervision_office",
            case_state="investigating",
            citations=[],
        ),
        StepRecorded(
            **at(2),
            kind="consultation",
            case_id=None,
            subject_id=None,
            action="consultation_signed",
            office="case_trial_office",
            case_state=None,
            citations=[],
        ),
        opened(3, first),
        opened(3, second),
        completed(4, first),
        completed(5, second),
    ]


@pytest.mark.parametrize("seed", range(5))
def test_the_progress_is_the_same_in_any_order(seed: int) -> None:
    events = events_of_a_matter()
    expected = progress_of("kunshan", str(MATTER), entries(events), None)
    shuffled = entries(events)
    random.Random(seed).shuffle(shuffled)
    assert progress_of("kunshan", str(MATTER), shuffled, None) == expected
    row, holders = expected
    assert row["stage"] == "executed" and row["events"] == len(events)
    assert row["stage_since"] == START + dt.timedelta(hours=4)
    assert holders == ["discipline_supervision_office"]


def test_execution_is_complete_only_when_every_execution_is() -> None:
    events = events_of_a_matter()[:-1]
    row, _ = progress_of("kunshan", str(MATTER), entries(events), None)
    assert row["stage"] == "execution"


def test_a_signature_adds_to_the_timeline_without_moving_the_matter() -> None:
    events = events_of_a_matter()[:3]
    row, holders = progress_of("kunshan", str(MATTER), entries(events), None)
    assert row["stage"] == "investigating" and holders == ["discipline_supervision_office"]
    signed = entries(events)[2]
    assert (signed.label, signed.stage, signed.action) == ("分办会商签署意见", None, "consultation_signed")


def test_the_openapi_examples_are_valid() -> None:
    for model in (ProgressRead, ProgressList):
        extra = model.model_config.get("json_schema_extra")
        assert isinstance(extra, dict) and isinstance(extra["examples"], list)
        for example in extra["examples"]:
            model.model_validate(example)
