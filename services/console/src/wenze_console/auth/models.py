from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PendingLogin:
    """A login sent to the realm and not yet back: what the callback must match."""

    tenant: str
    code_verifier: str
    nonce: str
    next_path: str
    started_at: float


@dataclass
class Login:
    """A user signed in to one tenant's realm, with the tokens the console calls the services with."""

    tenant: str
    token: dict[str, Any]
    username: str
    name: str
    office: str | None
    office_name: str | None

    @property
    def access_token(self) -> str:
        return str(self.token["access_token"])

    def expires_within(self, seconds: float) -> bool:
        expires_at = self.token.get("expires_at")
        return expires_at is not None and float(expires_at) - time.time() < seconds


@dataclass
class Session:
    """One browser's session. The cookie carries only ``id``; tokens never reach the browser."""

    id: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_seen: float = field(default_factory=time.monotonic)
    pending: dict[str, PendingLogin] = field(default_factory=dict)
    logins: dict[str, Login] = field(default_factory=dict)
