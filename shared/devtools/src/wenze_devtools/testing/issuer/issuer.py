"""The issuer's state and token minting, independent of HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from wenze_devtools.testing.issuer.authorization import AuthorizationCodes
from wenze_devtools.testing.issuer.directory import Directory
from wenze_devtools.testing.issuer.keys import SigningKey, generate_signing_key, load_or_create_key
from wenze_devtools.testing.issuer.realms import (
    ADMIN_REALM,
    API_CLIENT,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_USERNAME,
    DEFAULT_API_SECRET,
    DEFAULT_INTEGRATOR_SECRET,
    DEFAULT_REALMS,
    WEB_CLIENT,
    Client,
    DemoUser,
    Realm,
    build_realms,
    service_account_id,
)

ACCESS_TOKEN_LIFESPAN = 300
REFRESH_TOKEN_LIFESPAN = 1800
_ACCOUNT_ROLES = ["manage-account", "manage-account-links", "view-profile"]
_PROFILE_CLAIMS = (
    "sub",
    "email_verified",
    "name",
    "preferred_username",
    "given_name",
    "family_name",
    "email",
    "office",
    "office_name",
    "cadre_authority",
    "linked_units",
)


class TokenRejected(Exception):
    """A token presented back to the issuer (userinfo, refresh, introspect) is not valid."""


class Issuer:
    """Keycloak-compatible realms that can issue and check tokens.

    ``base_url`` fixes the public URL in ``iss``; when it is ``None`` the HTTP app uses the
    URL each request arrived on, as Keycloak does without a configured hostname.
    """

    def __init__(
        self, realms: Mapping[str, Realm], *, base_url: str | None = None, key_dir: Path | None = None
    ) -> None:
        self.realms = dict(realms)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.key_dir = key_dir
        self.certs_requests: dict[str, int] = dict.fromkeys(self.realms, 0)
        self.codes = AuthorizationCodes()

    @classmethod
    def build(
        cls,
        realms: Iterable[str] | None = None,
        *,
        base_url: str | None = None,
        key_dir: Path | None = None,
        users_path: Path | None = None,
        api_secret: str = DEFAULT_API_SECRET,
        integrator_secret: str = DEFAULT_INTEGRATOR_SECRET,
        admin_username: str = DEFAULT_ADMIN_USERNAME,
        admin_password: str = DEFAULT_ADMIN_PASSWORD,
    ) -> Issuer:
        """``realms`` (default: the demo realms) and, always, the master realm whose
        administrator the Admin REST API answers to."""
        names = tuple(realms) if realms is not None else DEFAULT_REALMS
        if ADMIN_REALM not in names:
            names = (*names, ADMIN_REALM)
        keys = {name: cls._key(key_dir, name) for name in names}
        built = build_realms(
            names,
            keys=keys,
            users_path=users_path,
            api_secret=api_secret,
            integrator_secret=integrator_secret,
            admin_username=admin_username,
            admin_password=admin_password,
        )
        return cls(built, base_url=base_url, key_dir=key_dir)

    @staticmethod
    def _key(key_dir: Path | None, realm: str) -> SigningKey:
        return load_or_create_key(key_dir, realm) if key_dir else generate_signing_key(realm)

    def add_realm(self, directory: Directory) -> Realm:
        """Serve a realm created through the Admin REST API: a new signing key, and users and
        clients as its directory gives them."""
        name = directory.name
        realm = Realm(
            name=name,
            display_name=str(directory.settings.get("displayName") or name),
            users={},
            clients={},
            keys=[self._key(self.key_dir, name)],
            directory=directory,
        )
        realm.sync()
        self.realms[name] = realm
        self.certs_requests.setdefault(name, 0)
        return realm

    def realm(self, name: str) -> Realm:
        try:
            return self.realms[name]
        except KeyError:
            raise KeyError(f"realm {name!r} is not served; served: {sorted(self.realms)}") from None

    def issuer_url(self, realm: str, base_url: str | None = None) -> str:
        base = (base_url or self.base_url or "").rstrip("/")
        if not base:
            raise ValueError("no base URL: start the issuer or pass base_url")
        return f"{base}/realms/{realm}"

    def rotate_key(self, realm: str) -> SigningKey:
        """Publish a new key and sign with it from now on; the old key stays published."""
        key = generate_signing_key(realm)
        self.realm(realm).keys.append(key)
        return key

    # Token responses for the HTTP endpoints.

    def user_token_response(
        self,
        realm: Realm,
        user: DemoUser,
        client: Client,
        *,
        base_url: str,
        scope: str,
        session: str | None = None,
        nonce: str = "",
    ) -> dict[str, Any]:
        session = session or str(uuid.uuid4())
        now = int(time.time())
        access = self._user_claims(realm, user, client.client_id, base_url, now, session, scope)
        return self._token_response(realm, access, client, base_url, now, session, scope, nonce)

    def service_account_token_response(
        self, realm: Realm, client: Client, *, base_url: str, scope: str, client_address: str
    ) -> dict[str, Any]:
        now = int(time.time())
        session = str(uuid.uuid4())
        access = self._service_account_claims(realm, client, base_url, now, session, scope, client_address)
        # Keycloak issues no refresh or ID token to a service account by default.
        token = self.sign(realm.active_key, access)
        return {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_LIFESPAN,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": access["scope"],
        }

    def refresh_token_response(
        self, realm: Realm, client: Client, refresh_token: str, *, base_url: str
    ) -> dict[str, Any]:
        claims = self.check_token(realm, refresh_token, base_url=base_url, typ="Refresh")
        if claims.get("azp") != client.client_id:
            raise TokenRejected("Invalid refresh token. Token client and authorized client don't match")
        user = next((u for u in realm.users.values() if u.id == claims.get("sub")), None)
        if user is None:
            raise TokenRejected("User not found")
        now = int(time.time())
        session = str(claims.get("sid") or uuid.uuid4())
        scope = str(claims.get("scope", "profile email"))
        access = self._user_claims(realm, user, client.client_id, base_url, now, session, scope)
        return self._token_response(realm, access, client, base_url, now, session, scope)

    def _token_response(
        self,
        realm: Realm,
        access: dict[str, Any],
        client: Client,
        base_url: str,
        now: int,
        session: str,
        scope: str,
        nonce: str = "",
    ) -> dict[str, Any]:
        iss = self.issuer_url(realm.name, base_url)
        refresh = {
            "exp": now + REFRESH_TOKEN_LIFESPAN,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "iss": iss,
            "aud": iss,
            "sub": access["sub"],
            "typ": "Refresh",
            "azp": client.client_id,
            "sid": session,
            "scope": access["scope"],
        }
        response = {
            "access_token": self.sign(realm.active_key, access),
            "expires_in": ACCESS_TOKEN_LIFESPAN,
            "refresh_expires_in": REFRESH_TOKEN_LIFESPAN,
            "refresh_token": self.sign(realm.active_key, refresh),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session,
            "scope": access["scope"],
        }
        if "openid" in scope.split():
            id_claims = {k: access[k] for k in _PROFILE_CLAIMS if k in access}
            id_claims.update(
                {
                    "exp": access["exp"],
                    "iat": now,
                    "auth_time": now,
                    "jti": str(uuid.uuid4()),
                    "iss": iss,
                    "aud": client.client_id,
                    "typ": "ID",
                    "azp": client.client_id,
                    "sid": session,
                    "acr": "1",
                }
            )
            if nonce:
                id_claims["nonce"] = nonce
            response["id_token"] = self.sign(realm.active_key, id_claims)
        return response

    def _user_claims(
        self,
        realm: Realm,
        user: DemoUser,
        client_id: str,
        base_url: str | None,
        now: int,
        session: str,
        scope: str,
        expires_in: int = ACCESS_TOKEN_LIFESPAN,
        roles: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        family, given = user.name[:1], user.name[1:]
        granted = list(roles) if roles is not None else [*user.roles, *realm.default_roles]
        claims: dict[str, Any] = {
            "exp": now + expires_in,
            "iat": now,
            "auth_time": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer_url(realm.name, base_url),
            "aud": [API_CLIENT, "account"],
            "sub": user.id,
            "typ": "Bearer",
            "azp": client_id,
            "sid": session,
            "acr": "1",
            "realm_access": {"roles": sorted(granted)},
            "resource_access": {"account": {"roles": list(_ACCOUNT_ROLES)}},
            "scope": _granted_scope(scope),
            "email_verified": True,
            "name": user.name,
            "preferred_username": user.username,
            "given_name": given,
            "family_name": family,
            "email": user.email,
            "cadre_authority": list(user.cadre_authority),
            "linked_units": list(user.linked_units),
        }
        if user.office:
            claims["office"] = user.office
        if user.office_name:
            claims["office_name"] = user.office_name
        return claims

    def _service_account_claims(
        self,
        realm: Realm,
        client: Client,
        base_url: str | None,
        now: int,
        session: str,
        scope: str,
        client_address: str,
        expires_in: int = ACCESS_TOKEN_LIFESPAN,
    ) -> dict[str, Any]:
        roles = [*(client.service_account_roles or ()), *realm.default_roles]
        return {
            "exp": now + expires_in,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer_url(realm.name, base_url),
            "aud": [API_CLIENT, "account"],
            "sub": service_account_id(realm.name, client.client_id),
            "typ": "Bearer",
            "azp": client.client_id,
            "sid": session,
            "acr": "1",
            "realm_access": {"roles": sorted(roles)},
            "resource_access": {"account": {"roles": list(_ACCOUNT_ROLES)}},
            "scope": _granted_scope(scope),
            "email_verified": False,
            "preferred_username": f"service-account-{client.client_id}",
            "client_id": client.client_id,
            "clientHost": client_address,
            "clientAddress": client_address,
        }

    # Checking tokens presented back to the issuer.

    def check_token(self, realm: Realm, token: str, *, base_url: str, typ: str = "Bearer") -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            key = realm.key(str(header.get("kid")))
            if key is None:
                raise TokenRejected("unknown key")
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer_url(realm.name, base_url),
                options={"verify_aud": False, "require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(str(exc)) from exc
        if claims.get("typ") != typ:
            raise TokenRejected(f"token type {claims.get('typ')!r} is not {typ!r}")
        return claims

    def userinfo(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        return {k: claims[k] for k in _PROFILE_CLAIMS if k in claims}

    # Minting arbitrary tokens for tests.

    def mint_token(
        self,
        realm: str,
        *,
        username: str | None = None,
        roles: Iterable[str] | None = None,
        client_id: str = WEB_CLIENT,
        claims: Mapping[str, Any] | None = None,
        expires_in: int = ACCESS_TOKEN_LIFESPAN,
        key: SigningKey | None = None,
        headers: Mapping[str, Any] | None = None,
        algorithm: str = "RS256",
        base_url: str | None = None,
    ) -> str:
        """An access token shaped as the realm would issue it, bent as a test needs.

        - ``username``: a demo user's claims; ``None`` gives a user with no office.
        - ``roles``: the exact realm roles (default: the user's roles plus Keycloak's defaults).
        - ``claims``: overrides applied last; a value of ``None`` removes the claim.
        - ``expires_in``: negative for an expired token.
        - ``key``: sign with another key (``generate_signing_key()``) to forge a token no
          realm published; required for a realm this issuer does not serve.
        - ``headers``: JOSE header overrides (``{"kid": None}`` drops the key id).
        - ``algorithm``: ``"none"`` leaves the token unsigned; ``"HS256"`` signs it with the
          realm's public key as an HMAC secret, the classic algorithm-confusion forgery.
        """
        served = self.realms.get(realm)
        if served is None and key is None:
            raise KeyError(f"realm {realm!r} is not served; pass key= to forge its tokens")
        signing_key = key or served.active_key  # type: ignore[union-attr]
        target = served or Realm(name=realm, display_name=realm, users={}, clients={})
        now = int(time.time())
        session = str(uuid.uuid4())
        if username is not None:
            user = target.users.get(username)
            if user is None:
                raise KeyError(f"no demo user {username!r} in realm {realm!r}")
        else:
            user = DemoUser(realm=realm, username="test-user", name="测试用户", password="")
        payload = self._user_claims(target, user, client_id, base_url, now, session, "profile email", expires_in, roles)
        for name, value in (claims or {}).items():
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        jose = {"alg": algorithm, "typ": "JWT", "kid": signing_key.kid}
        for name, value in (headers or {}).items():
            if value is None:
                jose.pop(name, None)
            else:
                jose[name] = value
        return self._encode(payload, jose, signing_key, algorithm)

    def sign(self, key: SigningKey, claims: Mapping[str, Any]) -> str:
        return jwt.encode(
            dict(claims),
            key.private_key,
            algorithm="RS256",
            headers={"kid": key.kid, "typ": "JWT"},
        )

    @staticmethod
    def _encode(payload: Mapping[str, Any], jose: dict[str, Any], key: SigningKey, algorithm: str) -> str:
        if algorithm.startswith(("RS", "PS")):
            extra = {k: v for k, v in jose.items() if k != "alg"}
            return jwt.encode(dict(payload), key.private_key, algorithm=algorithm, headers=extra)
        # PyJWT refuses to produce these forgeries, so they are assembled by hand.
        signing_input = f"{_b64_json(jose)}.{_b64_json(payload)}"
        if algorithm == "none":
            return signing_input + "."
        if algorithm.startswith("HS"):
            secret = key.private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            digest = getattr(hashlib, f"sha{algorithm[2:]}")
            mac = hmac.new(secret, signing_input.encode("ascii"), digest).digest()
            return f"{signing_input}.{_b64(mac)}"
        raise ValueError(f"cannot mint a token with algorithm {algorithm!r}")


def _granted_scope(requested: str) -> str:
    # Keycloak always grants the client's default scopes; openid only when asked for.
    granted = ["profile", "email"]
    if "openid" in requested.split():
        granted.insert(0, "openid")
    return " ".join(granted)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64_json(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
