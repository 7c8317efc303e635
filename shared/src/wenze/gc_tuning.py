"""Garbage-collector settings for the long-running service processes.

CPython starts a young-generation collection every 700 container allocations. A bulk import
allocates several containers per field of every row, and the collector ran so often that it
was a large share of the time spent checking and staging rows (docs/operations/benchmarks.md,
third round). A collection every 10,000 allocations costs a few megabytes more at most. Objects made while a
process starts (modules, the app, schemas, rule packs) live as long as the process: frozen
after start-up, they are no longer scanned by every full collection.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 10_000
_service_process = False


def tune_for_service() -> None:
    """Called once, when a service's command starts its process."""
    global _service_process
    _service_process = True
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD)


def freeze_startup_objects() -> None:
    """Called when an app or worker has started. Only a process started as a service is
    frozen: an app built in-process (tests, embedding) would keep its caller's garbage forever
    and pay a full collection per app."""
    if _service_process:
        gc.collect()
        gc.freeze()
