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


def _refill(local: threading.local) -> None:
    raw = bytearray(os.urandom(16 * _IDS_PER_READ))
    # RFC 9562 version 4: the version nibble is 4 and the variant bits are 10.
    for start in range(0, len(raw), 16):
        raw[start + 6] = (raw[start + 6] & 0x0F) | 0x40
        raw[start + 8] = (raw[start + 8] & 0x3F) | 0x80
    local.hex = raw.hex()
    local.next = 0


def _take(local: threading.local) -> int:
    """Index of the next unused id in this thread's buffer."""
    index = getattr(local, "next", _IDS_PER_READ)
    if index >= _IDS_PER_READ:
        _refill(local)
        index = 0
    local.next = index + 1
    return index


def new_uuid() -> uuid.UUID:
    local = _local
    start = 32 * _take(local)
    return uuid.UUID(int=int(local.hex[start : start + 32], 16))


def new_id() -> str:
    """A new id as text, the form rows store (formatted here: ``uuid.UUID`` costs more)."""
    local = _local
    start = 32 * _take(local)
    h = local.hex
    return (
        f"{h[start : start + 8]}-{h[start + 8 : start + 12]}-{h[start + 12 : start + 16]}-"
        f"{h[start + 16 : start + 20]}-{h[start + 20 : start + 32]}"
    )
