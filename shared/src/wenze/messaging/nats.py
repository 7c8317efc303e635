from __future__ import annotations

import nats
from nats.aio.client import Client


async def connect_nats(url: str, *, name: str) -> Client:
    # Keep reconnecting for as long as the process lives: a NATS restart must not need a
    # service restart.
    return await nats.connect(
        servers=[u.strip() for u in url.split(",")],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
    )
