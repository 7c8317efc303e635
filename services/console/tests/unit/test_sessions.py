"""The console's sessions live in its memory (ADR 0033, ADR 0039): a request without a cookie
must cost none of it, and what logins do cost is bounded."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from wenze_console.app import create_app
from wenze_console.auth.models import Login, PendingLogin
from wenze_console.auth.repository import PENDING_LOGINS_PER_SESSION, SessionStore
from wenze_console.auth.service import backchannel_endpoints
from wenze_console.config import ConsoleSettings
from wenze_console.web import SESSION_COOKIE


def _pending(tenant: str = "kunshan") -> PendingLogin:
    return PendingLogin(tenant, "verifier", "nonce", f"/t/{tenant}/work", time.monotonic())


def _signed_in(tenant: str = "kunshan") -> Login:
    return Login(tenant, {"access_token": "token"}, "ks-intake", "受理员", None, None)


def test_requests_without_a_cookie_store_no_session() -> None:
    app = create_app(ConsoleSettings(max_sessions=5))
    with TestClient(app, follow_redirects=False) as browser:
        for n in range(50):
            browser.cookies.clear()
            page = browser.get("/t/kunshan/work" if n % 2 else f"/t/jintan/matters/{n}")
            assert page.status_code == 303 and "/login?next=" in page.headers["location"]
            assert "set-cookie" not in page.headers
            browser.cookies.clear()
            forged = browser.get("/t/kunshan/callback", params={"state": f"s{n}", "code": "c"})
            assert forged.status_code == 400 and "登录请求已失效" in forged.text
            browser.cookies.clear()
            posted = browser.post("/t/kunshan/tasks/t/claim", data={"csrf_token": "guessed"})
            assert posted.status_code == 403
            browser.cookies.set(SESSION_COOKIE, f"made-up-{n}")
            assert browser.get("/t/kunshan/rules").status_code == 303
            assert browser.get("/healthz").status_code == 200
        assert len(app.state.console.sessions) == 0


def test_a_session_is_stored_when_a_login_starts_and_kept_for_the_browsers_next_login() -> None:
    store = SessionStore(idle_seconds=3600, max_sessions=10)
    session = store.start_login(None, "state-1", _pending())
    assert len(store) == 1 and store.get(session.id) is session
    again = store.start_login(session, "state-2", _pending("jintan"))
    assert again is session and set(session.pending) == {"state-1", "state-2"} and len(store) == 1
    for n in range(PENDING_LOGINS_PER_SESSION + 5):
        store.start_login(session, f"tab-{n}", _pending())
    assert len(session.pending) == PENDING_LOGINS_PER_SESSION
    assert f"tab-{PENDING_LOGINS_PER_SESSION + 4}" in session.pending and "state-1" not in session.pending
    # A session the store no longer holds (dropped, or from before a restart) is not revived.
    store.drop(session.id)
    fresh = store.start_login(session, "state-3", _pending())
    assert fresh is not session and store.get(session.id) is None and len(store) == 1


def test_the_store_is_capped_dropping_abandoned_logins_first_then_the_longest_unused() -> None:
    store = SessionStore(idle_seconds=3600, max_sessions=3)
    now = time.monotonic()
    staff_old = store.start_login(None, "a", _pending())
    staff_new = store.start_login(None, "b", _pending())
    staff_old.logins["kunshan"] = _signed_in()
    staff_new.logins["kunshan"] = _signed_in()
    staff_old.last_seen, staff_new.last_seen = now - 100, now - 10
    flood = [store.start_login(None, f"flood-{n}", _pending()) for n in range(1000)]
    assert len(store) == 3
    # Signed-in staff outlast any number of logins started and left at the realm.
    assert store.get(staff_old.id) is staff_old and store.get(staff_new.id) is staff_new
    assert store.get(flood[-1].id) is flood[-1] and store.get(flood[0].id) is None
    # With only signed-in sessions left, the one unused longest goes first.
    flood[-1].logins["jintan"] = _signed_in("jintan")
    staff_old.last_seen = now - 200
    store.start_login(None, "late", _pending())
    assert store.get(staff_old.id) is None
    assert store.get(staff_new.id) is staff_new and store.get(flood[-1].id) is flood[-1] and len(store) == 3


def test_a_session_nobody_signed_in_with_ends_with_its_login_at_the_realm() -> None:
    store = SessionStore(idle_seconds=3600, max_sessions=10)
    abandoned = store.start_login(None, "a", _pending())
    staff = store.start_login(None, "b", _pending())
    staff.logins["kunshan"] = _signed_in()
    abandoned.last_seen = staff.last_seen = time.monotonic() - 601
    assert store.get(abandoned.id) is None
    assert store.get(staff.id) is staff


def test_the_consoles_own_calls_to_the_realm_go_to_its_address_inside_the_cluster() -> None:
    document = {
        "authorization_endpoint": "https://id.example.org/realms/wenze-kunshan/protocol/openid-connect/auth",
        "token_endpoint": "https://id.example.org/realms/wenze-kunshan/protocol/openid-connect/token",
        "userinfo_endpoint": "https://id.example.org/realms/wenze-kunshan/protocol/openid-connect/userinfo",
    }
    inside = backchannel_endpoints(document, "https://id.example.org/", "http://keycloak.keycloak.svc:8080")
    assert inside["authorization_endpoint"] == document["authorization_endpoint"]
    assert (
        inside["token_endpoint"]
        == "http://keycloak.keycloak.svc:8080/realms/wenze-kunshan/protocol/openid-connect/token"
    )
    assert inside["userinfo_endpoint"].startswith("http://keycloak.keycloak.svc:8080/realms/wenze-kunshan/")
    assert backchannel_endpoints(document, "https://id.example.org", None) == document


def test_a_started_login_is_taken_once() -> None:
    store = SessionStore(idle_seconds=3600, max_sessions=5)
    session = store.start_login(None, "state-1", _pending())
    taken = store.take_pending(session, "state-1")
    assert taken is not None and taken.tenant == "kunshan"
    # The realm's code for that login cannot be exchanged a second time, nor after a look-up.
    assert store.get(session.id) is session
    assert store.take_pending(session, "state-1") is None
