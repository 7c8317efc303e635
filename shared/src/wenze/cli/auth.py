"""Tokens for the CLI: ``wenze login`` against Keycloak (or the test issuer) and the session file.

The access token is looked up in this order: ``WENZE_TOKEN`` (for scripts and CI, used as
given), then the session file written by ``wenze login`` under the user's config directory
(``$XDG_CONFIG_HOME/wenze/session.json``, mode 0600), refreshed with its refresh token when
the access token has expired.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

DEFAULT_ISSUER_URL = "http://127.0.0.1:8080"
DEFAULT_CLIENT_ID = "wenze-web"
# Refresh a little before expiry so a token does not lapse between the check and the request.
EXPIRY_MARGIN_SECONDS = 15


class AuthError(Exception):
    """No usable token, or the identity provider refused to issue one."""


@dataclass
class Session:
    issuer_url: str
    realm: str
    client_id: str
    username: str
    access_token: str
    expires_at: float
    refresh_token: str | None = None
    refresh_expires_at: float | None = None
    intake_url: str | None = None

    @property
    def tenant(self) -> str:
        return self.realm.removeprefix("wenze-")

    def expired(self, now: float) -> bool:
        return now >= self.expires_at - EXPIRY_MARGIN_SECONDS

    def refreshable(self, now: float) -> bool:
        return bool(self.refresh_token) and (self.refresh_expires_at is None or now < self.refresh_expires_at)


def realm_for(tenant: str) -> str:
    """``kunshan`` → ``wenze-kunshan``; a full realm name passes through."""
    tenant = tenant.strip()
    return tenant if tenant.startswith("wenze-") else f"wenze-{tenant}"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wenze"


def session_path() -> Path:
    return config_dir() / "session.json"


def _keycloak(issuer_url: str, realm: str, client_id: str, client_secret: str | None) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=issuer_url.rstrip("/") + "/",
        realm_name=realm,
        client_id=client_id,
        client_secret_key=client_secret or None,
        timeout=30,
    )


def _describe(exc: KeycloakError) -> str:
    # Keycloak's token endpoint answers OAuth errors ({"error", "error_description"}), which
    # python-keycloak does not unpack into its message.
    body: Any = None
    if exc.response_body:
        try:
            body = json.loads(exc.response_body)
        except (ValueError, UnicodeDecodeError):
            body = None
    if isinstance(body, dict) and (body.get("error_description") or body.get("error")):
        reason = body.get("error_description") or body.get("error")
    else:
        message = exc.error_message
        reason = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    code = f" ({exc.response_code})" if exc.response_code else ""
    return f"{reason}{code}"


def _session_from(
    token: dict[str, Any],
    *,
    issuer_url: str,
    realm: str,
    client_id: str,
    username: str,
    intake_url: str | None,
    now: float,
) -> Session:
    refresh_in = token.get("refresh_expires_in")
    return Session(
        issuer_url=issuer_url,
        realm=realm,
        client_id=client_id,
        username=username,
        access_token=token["access_token"],
        expires_at=now + float(token.get("expires_in", 300)),
        refresh_token=token.get("refresh_token"),
        # Keycloak reports 0 for offline tokens, which do not expire on a clock.
        refresh_expires_at=now + float(refresh_in) if refresh_in else None,
        intake_url=intake_url,
    )


def login(
    *,
    issuer_url: str,
    tenant: str,
    username: str,
    password: str,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str | None = None,
    intake_url: str | None = None,
) -> Session:
    realm = realm_for(tenant)
    now = time.time()
    try:
        token = _keycloak(issuer_url, realm, client_id, client_secret).token(username, password)
    except KeycloakConnectionError as exc:
        raise AuthError(f"cannot reach the identity provider at {issuer_url}: {exc}") from exc
    except KeycloakError as exc:
        raise AuthError(f"login to realm {realm} refused: {_describe(exc)}") from exc
    return _session_from(
        token,
        issuer_url=issuer_url,
        realm=realm,
        client_id=client_id,
        username=username,
        intake_url=intake_url,
        now=now,
    )


def save_session(session: Session, path: Path | None = None) -> Path:
    path = path or session_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    # Created 0600 from the start: a token must never be readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(session), handle, ensure_ascii=False, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_session(path: Path | None = None) -> Session | None:
    path = path or session_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Session(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise AuthError(f"cannot read the session in {path} ({exc}); run `wenze login` again") from exc


def refresh(session: Session, *, client_secret: str | None = None) -> Session:
    assert session.refresh_token is not None
    now = time.time()
    keycloak = _keycloak(
        session.issuer_url, session.realm, session.client_id, client_secret or os.environ.get("WENZE_CLIENT_SECRET")
    )
    try:
        token = keycloak.refresh_token(session.refresh_token)
    except KeycloakConnectionError as exc:
        raise AuthError(f"cannot reach the identity provider at {session.issuer_url}: {exc}") from exc
    except KeycloakError as exc:
        raise AuthError(f"the session expired ({_describe(exc)}); run `wenze login` again") from exc
    return _session_from(
        token,
        issuer_url=session.issuer_url,
        realm=session.realm,
        client_id=session.client_id,
        username=session.username,
        intake_url=session.intake_url,
        now=now,
    )


def access_token(path: Path | None = None) -> str:
    """The token to send: ``WENZE_TOKEN`` if set, else the stored session's (refreshed if due)."""
    from_env = os.environ.get("WENZE_TOKEN", "").strip()
    if from_env:
        return from_env
    session = load_session(path)
    if session is None:
        raise AuthError("not logged in: run `wenze login --tenant <tenant>` or set WENZE_TOKEN")
    now = time.time()
    if session.expired(now):
        if not session.refreshable(now):
            raise AuthError("the session expired; run `wenze login` again")
        session = refresh(session)
        save_session(session, path)
    return session.access_token


def stored_intake_url(path: Path | None = None) -> str | None:
    """The intake URL given at login, so later commands need no ``--url``."""
    if os.environ.get("WENZE_TOKEN"):
        return None
    try:
        session = load_session(path)
    except AuthError:
        return None
    return session.intake_url if session else None
