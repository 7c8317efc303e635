"""Signing in as a browser does, over HTTP, without a browser."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def sign_in(browser: httpx.Client, tenant: str, username: str, password: str = "wenze") -> httpx.Response:
    """What a browser does: the console sends it to the realm's login page, the form goes to the
    realm, the realm sends it back with a code. Returns the console's answer to that return."""
    to_realm = browser.get(f"/t/{tenant}/login")
    assert to_realm.status_code == 303, to_realm.text
    login_page = browser.get(to_realm.headers["location"])
    assert login_page.status_code == 200 and 'id="kc-form-login"' in login_page.text
    action = re.search(r'<form id="kc-form-login" method="post" action="([^"]+)"', login_page.text)
    assert action
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', login_page.text))
    assert fields["code_challenge_method"] == "S256" and fields["code_challenge"]
    back = browser.post(action.group(1), data={**fields, "username": username, "password": password})
    assert back.status_code == 302, back.text
    assert parse_qs(urlsplit(back.headers["location"]).query)["code"]
    return browser.get(back.headers["location"])
