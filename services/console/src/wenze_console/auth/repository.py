from __future__ import annotations

import threading
import time

from wenze_console.auth.models import Session

# A login left at the realm's page longer than this is abandoned.
PENDING_LOGIN_SECONDS = 600


class SessionStore:
    """Sessions in the console's memory (ADR 0033): a restart signs everyone out, which costs a
    login and keeps tokens out of any store and out of the browser."""

    def __init__(self, idle_seconds: float) -> None:
        self._idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self._idle_seconds:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            session.pending = {
                state: pending
                for state, pending in session.pending.items()
                if now - pending.started_at < PENDING_LOGIN_SECONDS
            }
            return session

    def create(self) -> Session:
        session = Session()
        with self._lock:
            self._expire()
            self._sessions[session.id] = session
        return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for session_id in [s.id for s in self._sessions.values() if now - s.last_seen > self._idle_seconds]:
            del self._sessions[session_id]
