"""A consumer whose start meets an unanswered JetStream request tries again instead of ending:
a background task that ends is not restarted, and its events would wait for the next deploy."""

from __future__ import annotations

import asyncio
from typing import Any

import nats.errors
import pytest
import stamina

from wenze.events import DecisionMade
from wenze.messaging.consumer import ConsumerSpec, _subscribe


class FlakyJetStream:
    """Answers stream_info and pull_subscribe, after timing out ``failures`` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def stream_info(self, name: str) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise nats.errors.TimeoutError
        return object()

    async def pull_subscribe(self, subject: str, **kwargs: Any) -> str:
        return f"subscription to {subject}"


async def _ignore(_event: DecisionMade) -> None:
    return None


@pytest.fixture(autouse=True)
def no_waiting() -> Any:
    stamina.set_testing(True, attempts=100)
    yield
    stamina.set_testing(False)


async def test_a_timed_out_start_is_retried_until_it_subscribes() -> None:
    js = FlakyJetStream(failures=2)
    spec = ConsumerSpec.for_event("sanction-execution-decision-made", DecisionMade, _ignore)
    subscription = await asyncio.wait_for(_subscribe(js, spec, 1), timeout=10)  # type: ignore[arg-type]
    assert subscription == "subscription to review.*.decision.made.v1"
    # Two timed-out starts, then the source stream's info and the dead letters' stream's.
    assert js.calls == 4
