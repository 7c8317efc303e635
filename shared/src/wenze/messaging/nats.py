from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client


@dataclass(frozen=True)
class NatsCredentials:
    """How a service proves who it is to NATS (docs/operations/security.md): a user and
    password, a ``.creds`` file (user JWT and NKey seed), or an NKey seed file. At most one."""

    user: str | None = None
    password: str | None = None
    creds_file: Path | None = None
    nkey_seed_file: Path | None = None

    def options(self) -> dict[str, Any]:
        if self.creds_file is not None:
            return {"user_credentials": str(self.creds_file)}
        if self.nkey_seed_file is not None:
            return {"nkeys_seed": str(self.nkey_seed_file)}
        if self.user is not None:
            return {"user": self.user, "password": self.password}
        return {}


async def connect_nats(url: str, *, name: str, credentials: NatsCredentials | None = None) -> Client:
    # Keep reconnecting for as long as the process lives: a NATS restart must not need a
    # service restart.
    return await nats.connect(
        servers=[u.strip() for u in url.split(",")],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        **(credentials or NatsCredentials()).options(),
    )
