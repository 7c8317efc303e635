"""Signing in to the console with the realm's authorization code flow (PKCE), the session cookie,
CSRF refusals, logout, and one tenant's login giving nothing of another's pages."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from wenze_devtools.testing.infra import ServiceProcess

from .signin import csrf_of, sign_in


def test_signing_in_returns_to_the_console_with_a_session(console: ServiceProcess) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        first = browser.get("/t/kunshan/work")
        assert first.status_code == 303
        assert first.headers["location"] == "/t/kunshan/login?next=%2Ft%2Fkunshan%2Fwork"
        # A request without a cookie stores nothing (ADR 0039): the session starts with the login.
        assert "set-cookie" not in first.headers

        to_realm = browser.get(first.headers["location"])
        cookie = to_realm.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        query = parse_qs(urlsplit(to_realm.headers["location"]).query)
        assert query["client_id"] == ["wenze-web"] and query["code_challenge_method"] == ["S256"]
        assert query["redirect_uri"] == [f"{console.url}/t/kunshan/callback"]
        # A second login from the same browser keeps its session: no new cookie.
        assert "set-cookie" not in browser.get("/t/kunshan/login").headers
        # The verifier never leaves the console: only its challenge goes to the realm.
        assert "code_verifier" not in query
        back = sign_in(browser, "kunshan", "ks-intake")
        assert back.status_code == 303 and back.headers["location"] == "/t/kunshan/work"
        # No token reaches the browser: the cookie holds an opaque session id only.
        assert all("eyJ" not in value for value in browser.cookies.values())


def test_a_login_returning_with_an_unknown_state_is_refused(console: ServiceProcess) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        response = browser.get("/t/kunshan/callback", params={"state": "forged", "code": "stolen"})
        assert response.status_code == 400
        assert "登录请求已失效" in response.text


def test_a_login_carried_to_another_browser_is_refused(console: ServiceProcess) -> None:
    """The code is bound to the verifier kept in the session that started the login: replayed
    in another browser's session it gives nothing."""
    with (
        httpx.Client(base_url=console.url, timeout=30) as victim,
        httpx.Client(base_url=console.url, timeout=30) as attacker,
    ):
        to_realm = victim.get("/t/kunshan/login")
        login_page = victim.get(to_realm.headers["location"])
        action = re.search(r'action="([^"]+)"', login_page.text)
        assert action
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', login_page.text))
        back = victim.post(action.group(1), data={**fields, "username": "ks-intake", "password": "wenze"})
        replayed = attacker.get(back.headers["location"])
        assert replayed.status_code == 400
        assert attacker.get("/t/kunshan/work").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(console: ServiceProcess) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        sign_in(browser, "kunshan", "ks-intake")
        missing = browser.post("/t/kunshan/tasks/some-task/claim", data={})
        assert missing.status_code == 403
        assert "CSRF" in missing.text and "未执行任何操作" in missing.text
        wrong = browser.post("/t/kunshan/tasks/some-task/claim", data={"csrf_token": "guessed"})
        assert wrong.status_code == 403
        logout_without = browser.post("/t/kunshan/logout", data={})
        assert logout_without.status_code == 403


def test_logout_ends_the_tenants_login(console: ServiceProcess) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        sign_in(browser, "kunshan", "ks-intake")
        # The rule browser reads the pack the console holds: a page that needs no other service.
        rules = browser.get("/t/kunshan/rules")
        assert rules.status_code == 200 and "昆纪办发〔2019〕19号" in rules.text
        # Without routing (none runs here) the interpretation points still show, from the pack,
        # saying that the reading in force cannot be read.
        assert "monthly_figures_rest_day" in rules.text and "未能读取" in rules.text
        out = browser.post("/t/kunshan/logout", data={"csrf_token": csrf_of(rules.text)})
        assert out.status_code == 200 and "已退出" in out.text
        assert browser.get("/t/kunshan/rules").status_code == 303


def test_one_tenants_login_gives_nothing_of_anothers(console: ServiceProcess) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        sign_in(browser, "jintan", "jt-conduct-office")
        elsewhere = browser.get("/t/kunshan/work")
        assert elsewhere.status_code == 303
        assert elsewhere.headers["location"].startswith("/t/kunshan/login")
        # Nor may a login be steered to another tenant's pages after signing in.
        to_realm = browser.get("/t/jintan/login", params={"next": "/t/kunshan/work"})
        assert to_realm.status_code == 303
        assert sign_in(browser, "jintan", "jt-conduct-office").headers["location"] == "/t/jintan/work"
        assert browser.get("/t/nowhere/work").status_code == 404


def test_behind_an_ingress_the_callback_is_the_public_address_and_the_cookie_secure(
    issuer_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """As the chart runs it: the request reaches the console as plain HTTP from the ingress
    controller, yet the realm must send the browser back to the public HTTPS address its
    wenze-web client lists, and the cookie must be Secure."""
    process = ServiceProcess(
        service="console",
        role="api",
        env={
            "WENZE_OIDC_BASE_URL": issuer_url,
            "WENZE_CONSOLE_PUBLIC_URL": "https://wenze.example.org/",
            "WENZE_CONSOLE_SECURE_COOKIES": "true",
        },
        log_path=Path(tmp_path_factory.mktemp("console-public")) / "console.log",
    ).start()
    try:
        with httpx.Client(base_url=process.url, timeout=30) as browser:
            to_realm = browser.get("/t/jintan/login")
            assert to_realm.status_code == 303, to_realm.text
            query = parse_qs(urlsplit(to_realm.headers["location"]).query)
            assert query["redirect_uri"] == ["https://wenze.example.org/t/jintan/callback"]
            assert "; secure" in to_realm.headers["set-cookie"].lower()
    finally:
        process.stop()


@pytest.mark.parametrize(("page", "reason"), [("abc<b>", "参数 page：应为整数。"), ("0", "参数 page：不得小于1。")])
def test_a_bad_query_parameter_gets_a_page_naming_it(console: ServiceProcess, page: str, reason: str) -> None:
    response = httpx.get(f"{console.url}/t/kunshan/work", params={"page": page}, timeout=30)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert reason in response.text
    # What was sent is not echoed back.
    assert "abc&lt;b&gt;" not in response.text and "abc<b>" not in response.text
