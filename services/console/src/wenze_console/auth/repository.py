from __future__ import annotations

import heapq
import threading
import time

from wenze_console.auth.models import PendingLogin, Session

# A login left at the realm's page longer than this is abandoned.
PENDING_LOGIN_SECONDS = 600
# Logins one browser may have at the realm's page at once (several tabs); the oldest goes first.
PENDING_LOGINS_PER_SESSION = 8


class SessionStore:
    """Sessions in the console's memory (ADR 0033, ADR 0039): a restart signs everyone out, which
    costs a login and keeps tokens out of any store and out of the browser.

    A session is stored only when a login starts (:meth:`start_login`), never for a request
    that merely arrives without a cookie, and at most ``max_sessions`` are kept: memory is
    bounded by a number, not by how many requests anyone sends."""

    def __init__(self, idle_seconds: float, max_sessions: int) -> None:
        self._idle_seconds = idle_seconds
        self._max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def get(self, session_id: str | None) -> Session | None:
        """The live session of this id, or ``None``; never makes one."""
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._ended(session, now):
                del self._sessions[session_id]
                return None
            session.last_seen = now
            session.pending = {
                state: pending
                for state, pending in session.pending.items()
                if now - pending.started_at < PENDING_LOGIN_SECONDS
            }
            return session

    def start_login(self, session: Session | None, state: str, pending: PendingLogin) -> Session:
        """Keep a login sent to the realm, in the browser's session or, when it has none still
        stored, in a new one stored now: the only place a session is made."""
        now = time.monotonic()
        with self._lock:
            if session is None or self._sessions.get(session.id) is not session:
                session = Session(last_seen=now)
                self._make_room(now)
                self._sessions[session.id] = session
            session.pending[state] = pending
            while len(session.pending) > PENDING_LOGINS_PER_SESSION:
                del session.pending[next(iter(session.pending))]
            session.last_seen = now
            return session

    def take_pending(self, session: Session, state: str) -> PendingLogin | None:
        """The login ``state`` names, removed so that its code is exchanged once: under the
        lock, where :meth:`get` prunes the same mapping."""
        with self._lock:
            return session.pending.pop(state, None)

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _ended(self, session: Session, now: float) -> bool:
        if now - session.last_seen > self._idle_seconds:
            return True
        # A session nobody signed in with lives only as long as its login at the realm may.
        return not session.logins and now - session.last_seen > PENDING_LOGIN_SECONDS

    def _make_room(self, now: float) -> None:
        """Forget ended sessions; then, while the store is full, the one unused longest, those
        without a login before those signed in, so a flood of started logins does not sign
        staff out while there are abandoned logins to drop."""
        for session_id in [s.id for s in self._sessions.values() if self._ended(s, now)]:
            del self._sessions[session_id]
        excess = len(self._sessions) - self._max_sessions + 1
        if excess <= 0:
            return
        for session in heapq.nsmallest(excess, self._sessions.values(), key=lambda s: (bool(s.logins), s.last_seen)):
            del self._sessions[session.id]
