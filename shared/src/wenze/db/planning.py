"""Whether a transaction reuses PostgreSQL's cached plans or plans each statement afresh.

A worker's connections plan every statement for its parameters and the tables as they are
now (``create_engine(plan_each_statement=True)``): its batches carry hundreds of keys, and a
cached plan chosen while a bulk import's tables were nearly empty stays wrong as they grow.
Planning costs a transaction of one or two events as much as its own work, though, and those
are the events whose latency counts (an accepted matter routed as it comes). Work opened
within :func:`reusing_plans` lets PostgreSQL choose, as the APIs do, for the transactions it
begins; on an engine that does not plan each statement the setting changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

SETTING: Final = "plan_cache_mode"
# PostgreSQL's own choice: a cached generic plan once it costs no more than planning afresh.
REUSE: Final = "auto"

_reusing: ContextVar[bool] = ContextVar("wenze_reusing_plans", default=False)


@contextmanager
def reusing_plans() -> Iterator[None]:
    """Transactions begun in this block reuse cached plans where PostgreSQL finds them as good."""
    token = _reusing.set(True)
    try:
        yield
    finally:
        _reusing.reset(token)


def reuses_plans() -> bool:
    return _reusing.get()
