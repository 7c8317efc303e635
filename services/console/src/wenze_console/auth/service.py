"""The OpenID Connect login, through authlib: a real Keycloak realm and the test issuer answer
it the same way (discovery, authorization code with PKCE S256, refresh, userinfo)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from wenze_console.auth.models import Login, PendingLogin, Session
from wenze_console.auth.repository import SessionStore
from wenze_console.config import ConsoleSettings

# A token this close to its end is refreshed before a page calls the services with it.
REFRESH_MARGIN_SECONDS = 30


class LoginFailed(Exception):
    """The realm did not complete the login; ``reason`` is for the user, in their words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def backchannel_endpoints(document: dict[str, Any], public_base: str, internal_base: str | None) -> dict[str, Any]:
    """The discovery document with the console's own calls (token, userinfo) sent to the realm's
    address inside the cluster; the authorization endpoint, where the browser goes, stays public."""
    if not internal_base:
        return document
    public, internal = public_base.rstrip("/"), internal_base.rstrip("/")
    rewritten = dict(document)
    for key in ("token_endpoint", "userinfo_endpoint"):
        value = rewritten.get(key)
        if isinstance(value, str) and value.startswith(f"{public}/"):
            rewritten[key] = internal + value[len(public) :]
    return rewritten


class OidcLogins:
    def __init__(self, settings: ConsoleSettings, sessions: SessionStore) -> None:
        self._settings = settings
        self._sessions = sessions
        self._discovery: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def metadata(self, tenant: str) -> dict[str, Any]:
        """The realm's discovery document, read once."""
        with self._lock:
            known = self._discovery.get(tenant)
        if known is not None:
            return known
        realm = self._settings.realm_of(tenant)
        base = self._settings.oidc_internal_url or self._settings.oidc_base_url
        url = f"{base.rstrip('/')}/realms/{realm}/.well-known/openid-configuration"
        try:
            response = httpx.get(url, timeout=self._settings.api_timeout_seconds)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LoginFailed("无法连接统一身份认证服务，请稍后再试") from exc
        document = backchannel_endpoints(document, self._settings.oidc_base_url, self._settings.oidc_internal_url)
        with self._lock:
            self._discovery[tenant] = document
        return document

    def _client(self, redirect_uri: str | None = None, token: dict[str, Any] | None = None) -> OAuth2Client:
        return OAuth2Client(
            client_id=self._settings.client_id,
            token_endpoint_auth_method="none",
            scope="openid profile email",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token=token,
            timeout=self._settings.api_timeout_seconds,
        )

    def start(self, session: Session | None, tenant: str, redirect_uri: str, next_path: str) -> tuple[Session, str]:
        """The realm's authorization URL to send the browser to, and the session keeping its
        verifier: the browser's own, or one stored now (ADR 0039). The verifier stays here."""
        verifier = generate_token(64)
        nonce = generate_token(24)
        with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                self.metadata(tenant)["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        pending = PendingLogin(tenant, verifier, nonce, next_path, time.monotonic())
        return self._sessions.start_login(session, state, pending), str(url)

    def finish(
        self, session: Session | None, tenant: str, redirect_uri: str, state: str, code: str
    ) -> tuple[Login, str]:
        """Exchange the code the realm sent back; the login and the page to return to."""
        # No session: the browser never started a login here (or the console restarted since).
        pending = None if session is None else self._sessions.take_pending(session, state)
        if session is None or pending is None or pending.tenant != tenant:
            raise LoginFailed("登录请求已失效，请重新登录")
        metadata = self.metadata(tenant)
        try:
            with self._client(redirect_uri) as client:
                token = dict(
                    client.fetch_token(
                        metadata["token_endpoint"],
                        grant_type="authorization_code",
                        code=code,
                        code_verifier=pending.code_verifier,
                    )
                )
            with self._client(token=token) as client:
                info = client.get(metadata["userinfo_endpoint"])
                info.raise_for_status()
                claims: dict[str, Any] = info.json()
        except (AuthlibBaseError, httpx.HTTPError, ValueError) as exc:
            raise LoginFailed("统一身份认证服务未能完成登录，请重新登录") from exc
        login = Login(
            tenant=tenant,
            token=token,
            username=str(claims.get("preferred_username") or claims.get("sub")),
            name=str(claims.get("name") or claims.get("preferred_username") or ""),
            office=claims.get("office"),
            office_name=claims.get("office_name"),
        )
        session.logins[tenant] = login
        return login, pending.next_path

    def fresh(self, session: Session | None, tenant: str) -> Login | None:
        """The tenant's login with an access token good for a page's calls; ``None`` without a
        session or once the realm will not refresh it (the user signs in again)."""
        if session is None:
            return None
        login = session.logins.get(tenant)
        if login is None or not login.expires_within(REFRESH_MARGIN_SECONDS):
            return login
        try:
            with self._client(token=login.token) as client:
                login.token = dict(client.refresh_token(self.metadata(tenant)["token_endpoint"]))
        except (AuthlibBaseError, httpx.HTTPError, ValueError, LoginFailed):
            session.logins.pop(tenant, None)
            return None
        return login
