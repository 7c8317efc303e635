"""How the messaging loops wait after a failure: jittered exponential backoff, never a fixed sleep.

A fixed pause makes every relay and consumer of a deployment retry in step after a database or
NATS outage, and hammers a dependency that stays down; jitter spreads them out, doubling backs
off from one that does not come back.
"""

from __future__ import annotations

import random
from typing import Any

import stamina

# The longest pause between attempts while the database or NATS is down.
RETRY_WAIT_MAX_SECONDS = 10.0
REDELIVERY_DELAY_MAX_SECONDS = 60.0


def until_it_works(on: type[Exception]) -> Any:
    """Attempts of one operation, without limit, backing off from 0.1 s up to 10 s with jitter:
    ``async for attempt in until_it_works(Error): with attempt: ...``."""
    return stamina.retry_context(on=on, attempts=None, timeout=None, wait_initial=0.1, wait_max=RETRY_WAIT_MAX_SECONDS)


def redelivery_delay(deliveries: int) -> float:
    """Seconds before a failed event is delivered again: doubling from one second up to a
    minute, with jitter so that events failing together are not retried together."""
    return min(REDELIVERY_DELAY_MAX_SECONDS, 2.0 ** max(deliveries - 1, 0)) * random.uniform(0.5, 1.0)
