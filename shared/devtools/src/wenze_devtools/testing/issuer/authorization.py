"""The authorization code flow with PKCE, as Keycloak runs it for a browser: a login page at the
authorization endpoint, a one-time code sent back to the client's redirect URI, and the code
exchanged at the token endpoint against the verifier whose challenge the login started with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from wenze_devtools.testing.issuer.realms import Client, DemoUser, Realm

# Keycloak's default lifespan of an authorization code.
CODE_LIFESPAN = 60
_CHALLENGE_METHODS = ("S256", "plain")


class AuthorizationRefused(Exception):
    """The request cannot start or finish a login; ``error`` is OAuth's error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class LoginRequest:
    """What the client asked for at the authorization endpoint, carried through the login form."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    nonce: str
    code_challenge: str
    code_challenge_method: str

    @classmethod
    def from_params(cls, realm: Realm, params: dict[str, str]) -> LoginRequest:
        client = realm.clients.get(params.get("client_id", ""))
        if client is None:
            raise AuthorizationRefused("invalid_request", "Client not found.")
        if params.get("response_type") != "code":
            raise AuthorizationRefused("unsupported_response_type", "Only the authorization code flow is served.")
        redirect_uri = params.get("redirect_uri", "")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise AuthorizationRefused("invalid_request", "Invalid parameter: redirect_uri")
        challenge = params.get("code_challenge", "")
        method = params.get("code_challenge_method") or ("plain" if challenge else "")
        if challenge and method not in _CHALLENGE_METHODS:
            raise AuthorizationRefused("invalid_request", "Invalid parameter: code challenge method is not supported.")
        if client.public and not challenge:
            # Browser clients cannot keep a secret: without PKCE a stolen code would be enough.
            raise AuthorizationRefused("invalid_request", "Missing parameter: code_challenge_method")
        return cls(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            state=params.get("state", ""),
            scope=params.get("scope", "openid"),
            nonce=params.get("nonce", ""),
            code_challenge=challenge,
            code_challenge_method=method,
        )

    def hidden_fields(self) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "scope": self.scope,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }


@dataclass(frozen=True)
class IssuedCode:
    request: LoginRequest
    username: str
    expires_at: float


@dataclass
class AuthorizationCodes:
    """Codes handed out and not yet exchanged; each is good once, for a minute."""

    issued: dict[str, IssuedCode] = field(default_factory=dict)

    def issue(self, request: LoginRequest, user: DemoUser) -> str:
        now = time.monotonic()
        self.issued = {code: held for code, held in self.issued.items() if held.expires_at > now}
        code = secrets.token_urlsafe(32)
        self.issued[code] = IssuedCode(request, user.username, now + CODE_LIFESPAN)
        return code

    def redeem(self, code: str, client: Client, redirect_uri: str, verifier: str) -> IssuedCode:
        # Removed before any check: a code presented with a wrong verifier is spent, as in
        # Keycloak, so an attacker cannot try verifiers one after another.
        held = self.issued.pop(code, None)
        if held is None or held.expires_at <= time.monotonic():
            raise AuthorizationRefused("invalid_grant", "Code not valid")
        if held.request.client_id != client.client_id:
            raise AuthorizationRefused("invalid_grant", "Auth error")
        if held.request.redirect_uri != redirect_uri:
            raise AuthorizationRefused("invalid_grant", "Incorrect redirect_uri")
        if held.request.code_challenge:
            if not verifier:
                raise AuthorizationRefused("invalid_grant", "PKCE code verifier not specified")
            if not hmac.compare_digest(
                _challenge_of(verifier, held.request.code_challenge_method), held.request.code_challenge
            ):
                raise AuthorizationRefused("invalid_grant", "PKCE verification failed: Code mismatch")
        return held


def _challenge_of(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_with_code(request: LoginRequest, code: str, issuer_url: str, session_state: str) -> str:
    query = {"code": code, "session_state": session_state, "iss": issuer_url}
    if request.state:
        query = {"state": request.state, **query}
    separator = "&" if "?" in request.redirect_uri else "?"
    return f"{request.redirect_uri}{separator}{urlencode(query)}"


def login_page(realm: Realm, action: str, request: LoginRequest, *, error: str | None = None) -> str:
    """Keycloak's login form in its essentials: the same field names and button id, so a
    browser test drives a real Keycloak's page the same way."""
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in request.hidden_fields().items()
    )
    message = f'<p id="input-error" role="alert">{html.escape(error)}</p>' if error else ""
    title = html.escape(realm.display_name)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 {title}</title>
<style>body{{font-family:sans-serif;max-width:24rem;margin:4rem auto}}label,input{{display:block;margin:.4rem 0}}
#input-error{{color:#b00}}</style></head>
<body><h1 id="kc-page-title">{title}</h1>{message}
<form id="kc-form-login" method="post" action="{html.escape(action)}">
{hidden}
<label for="username">用户名</label><input id="username" name="username" autocomplete="username" autofocus>
<label for="password">密码</label><input id="password" name="password" type="password" autocomplete="current-password">
<input id="kc-login" type="submit" value="登录">
</form></body></html>"""


__all__ = [
    "AuthorizationCodes",
    "AuthorizationRefused",
    "IssuedCode",
    "LoginRequest",
    "login_page",
    "redirect_with_code",
]
