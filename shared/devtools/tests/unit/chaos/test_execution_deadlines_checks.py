"""The execution-deadlines chaos run's verdict: a deadline lost or fired twice fails it, a clean
run passes; and the decisions it publishes put half the deadlines past and half within the
lead time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wenze.calendar import DeadlineSpec, load_calendar
from wenze_devtools.chaos.execution_deadlines import _verdict, decision_days, decisions

CLEAN: dict[str, Any] = {
    "decisions": 4,
    "deadlines_stored": 4,
    "fired": 4,
    "on_stream": 4,
    "fired_twice_in_outbox": 0,
    "twice_on_stream": 0,
    "outbox_backlog": 0,
    "nats_msg_id_mismatches": 0,
}


def test_a_clean_run_passes() -> None:
    assert _verdict(CLEAN) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"fired": 3}, "fired"),
        ({"on_stream": 3}, "on the stream"),
        ({"fired_twice_in_outbox": 1}, "more than once"),
        ({"twice_on_stream": 1}, "more than once"),
        ({"deadlines_stored": 3}, "stored"),
        ({"outbox_backlog": 2}, "drain"),
    ],
)
def test_each_failure_is_named(change: dict[str, int], named: str) -> None:
    problems = _verdict({**CLEAN, **change})
    assert len(problems) == 1 and named in problems[0]


def test_the_decision_days_give_a_passed_deadline_and_one_within_the_lead_time() -> None:
    today = dt.date(2026, 9, 29)
    passed, within = decision_days(today)
    copy = DeadlineSpec(kind="working_days", amount=3)
    assert copy.compute(passed, load_calendar()) < today
    assert today <= copy.compute(within, load_calendar()) <= today + dt.timedelta(days=2)
    events = decisions(4, today)
    assert sorted({e.decided_on for e in events}) == sorted({passed, within})
