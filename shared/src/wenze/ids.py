"""Random (version 4) UUIDs for row and event ids, drawn from buffered system randomness.

Every ``os.urandom`` call releases the GIL. A bulk import's staging thread makes several ids
per row, and each release let the event loop's thread take the GIL for up to a switch
interval: about a tenth of the import's time went to waiting for it. One call now serves 256
ids. The buffer is per thread and is dropped in a forked child, so no two processes or
threads ever hand out the same bytes.
"""

from __future__ import annotations

import os
import threading
import uuid

_IDS_PER_READ = 256
_local = threading.local()


def _forget_buffers() -> None:
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_buffers)


def new_uuid() -> uuid.UUID:
    local = _local
    buffer: bytes = getattr(local, "buffer", b"")
    position: int = getattr(local, "position", 0)
    if position >= len(buffer):
        buffer = local.buffer = os.urandom(16 * _IDS_PER_READ)
        position = 0
    local.position = position + 16
    return uuid.UUID(bytes=buffer[position:position + 16], version=4)


def new_id() -> str:
    """A new id as text, the form rows store."""
    return str(new_uuid())
