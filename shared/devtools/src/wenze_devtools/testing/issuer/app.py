"""The issuer's HTTP face: Keycloak's paths, payloads and error bodies."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from wenze_devtools.testing.issuer.admin import add_admin_routes
from wenze_devtools.testing.issuer.authorization import (
    AuthorizationRefused,
    LoginRequest,
    login_page,
    redirect_with_code,
)
from wenze_devtools.testing.issuer.issuer import Issuer, TokenRejected
from wenze_devtools.testing.issuer.realms import (
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_USERNAME,
    DEFAULT_API_SECRET,
    DEFAULT_INTEGRATOR_SECRET,
    Client,
    Realm,
)

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_BAD_CLIENT = "Invalid client or Invalid client credentials"


class KeycloakError(Exception):
    """An OAuth error rendered the way Keycloak renders it."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description or error)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}


def create_issuer_app(
    realms: Iterable[str] | None = None,
    *,
    issuer: Issuer | None = None,
    base_url: str | None = None,
    key_dir: Path | None = None,
    users_path: Path | None = None,
    api_secret: str = DEFAULT_API_SECRET,
    integrator_secret: str = DEFAULT_INTEGRATOR_SECRET,
    admin_username: str = DEFAULT_ADMIN_USERNAME,
    admin_password: str = DEFAULT_ADMIN_PASSWORD,
) -> FastAPI:
    """A FastAPI app serving Keycloak's OIDC endpoints for ``realms``.

    Pass ``issuer`` to serve an existing :class:`Issuer` (tests keep a handle on it to mint
    tokens and rotate keys); otherwise one is built from the other arguments.
    """
    state = issuer or Issuer.build(
        realms,
        base_url=base_url,
        key_dir=key_dir,
        users_path=users_path,
        api_secret=api_secret,
        integrator_secret=integrator_secret,
        admin_username=admin_username,
        admin_password=admin_password,
    )
    app = FastAPI(title="Wenze test issuer (Keycloak-compatible)", docs_url=None, redoc_url=None)
    app.state.issuer = state

    @app.exception_handler(KeycloakError)
    async def _keycloak_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KeycloakError)
        body: dict[str, str] = {"error": exc.error}
        if exc.description:
            body["error_description"] = exc.description
        return JSONResponse(body, status_code=exc.status, headers={**_NO_STORE, **exc.headers})

    def realm_of(name: str) -> Realm:
        realm = state.realms.get(name)
        if realm is None:
            raise KeycloakError(404, "Realm does not exist")
        return realm

    def base_of(request: Request) -> str:
        return state.base_url or str(request.base_url).rstrip("/")

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "UP"}

    @app.get("/realms/{realm}")
    async def realm_info(realm: str, request: Request) -> dict[str, Any]:
        served = realm_of(realm)
        iss = state.issuer_url(realm, base_of(request))
        return {
            "realm": served.name,
            "public_key": served.active_key.public_key_b64,
            "token-service": f"{iss}/protocol/openid-connect",
            "account-service": f"{iss}/account",
            "tokens-not-before": 0,
        }

    @app.get("/realms/{realm}/.well-known/openid-configuration")
    async def discovery(realm: str, request: Request) -> dict[str, Any]:
        realm_of(realm)
        iss = state.issuer_url(realm, base_of(request))
        oidc = f"{iss}/protocol/openid-connect"
        return {
            "issuer": iss,
            "authorization_endpoint": f"{oidc}/auth",
            "token_endpoint": f"{oidc}/token",
            "introspection_endpoint": f"{oidc}/token/introspect",
            "userinfo_endpoint": f"{oidc}/userinfo",
            "end_session_endpoint": f"{oidc}/logout",
            "jwks_uri": f"{oidc}/certs",
            "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
            "response_types_supported": ["code", "token", "id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "response_modes_supported": ["query"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": [
                "aud",
                "sub",
                "iss",
                "auth_time",
                "name",
                "given_name",
                "family_name",
                "preferred_username",
                "email",
                "email_verified",
                "acr",
                "azp",
                "office",
                "office_name",
                "cadre_authority",
                "linked_units",
            ],
            "claims_parameter_supported": True,
            "request_parameter_supported": True,
            "code_challenge_methods_supported": ["plain", "S256"],
        }

    @app.get("/realms/{realm}/protocol/openid-connect/certs")
    async def certs(realm: str) -> JSONResponse:
        served = realm_of(realm)
        state.certs_requests[realm] = state.certs_requests.get(realm, 0) + 1
        return JSONResponse({"keys": [k.public_jwk() for k in served.keys]})

    @app.api_route("/realms/{realm}/protocol/openid-connect/auth", methods=["GET", "POST"])
    async def authorize(realm: str, request: Request) -> Response:
        served = realm_of(realm)
        params = dict(request.query_params)
        form: dict[str, str] = {}
        if request.method == "POST":
            form = {k: str(v) for k, v in (await request.form()).items()}
            params.update({k: v for k, v in form.items() if k not in ("username", "password")})
        try:
            login = LoginRequest.from_params(served, params)
        except AuthorizationRefused as exc:
            # Nothing is sent to a redirect URI not yet checked: the error is shown here.
            return HTMLResponse(f"<h1>{exc.error}</h1><p>{exc.description}</p>", status_code=400)
        action = str(request.url.remove_query_params(list(request.query_params.keys())))
        if request.method == "GET":
            return HTMLResponse(login_page(served, action, login), headers=_NO_STORE)
        username = form.get("username", "")
        user = served.users.get(username) or served.users.get(username.lower())
        if user is None or not user.password or not hmac.compare_digest(user.password, form.get("password", "")):
            page = login_page(served, action, login, error="Invalid username or password.")
            return HTMLResponse(page, status_code=200, headers=_NO_STORE)
        code = state.codes.issue(login, user)
        target = redirect_with_code(login, code, state.issuer_url(realm, base_of(request)), code[:16])
        return RedirectResponse(target, status_code=302, headers=_NO_STORE)

    @app.post("/realms/{realm}/protocol/openid-connect/token")
    async def token(realm: str, request: Request) -> JSONResponse:
        served = realm_of(realm)
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        grant_type = fields.get("grant_type")
        if not grant_type:
            raise KeycloakError(400, "invalid_request", "Missing form parameter: grant_type")
        client = _authenticate_client(served, request, fields)
        base = base_of(request)
        scope = fields.get("scope") or ""
        if grant_type == "authorization_code":
            try:
                issued = state.codes.redeem(
                    fields.get("code", ""), client, fields.get("redirect_uri", ""), fields.get("code_verifier", "")
                )
            except AuthorizationRefused as exc:
                raise KeycloakError(400, exc.error, exc.description) from exc
            user = served.users.get(issued.username)
            if user is None:
                raise KeycloakError(400, "invalid_grant", "User not found")
            body = state.user_token_response(
                served, user, client, base_url=base, scope=issued.request.scope, nonce=issued.request.nonce
            )
        elif grant_type == "password":
            if not client.direct_access:
                raise KeycloakError(400, "unauthorized_client", "Client not allowed for direct access grants")
            username, password = fields.get("username"), fields.get("password")
            if not username:
                raise KeycloakError(400, "invalid_request", "Missing parameter: username")
            # Keycloak keeps user names in lower case and finds them whatever the case given.
            user = served.users.get(username) or served.users.get(username.lower())
            # A user created through the admin API without a credential cannot log in.
            if user is None or not user.password or not hmac.compare_digest(user.password, password or ""):
                raise KeycloakError(401, "invalid_grant", "Invalid user credentials")
            body = state.user_token_response(served, user, client, base_url=base, scope=scope)
        elif grant_type == "client_credentials":
            if client.public:
                raise KeycloakError(
                    400,
                    "unauthorized_client",
                    "Public client not allowed to retrieve service account",
                )
            if client.service_account_roles is None:
                raise KeycloakError(400, "unauthorized_client", "Client not enabled to retrieve service account")
            address = request.client.host if request.client else "127.0.0.1"
            body = state.service_account_token_response(
                served, client, base_url=base, scope=scope, client_address=address
            )
        elif grant_type == "refresh_token":
            try:
                body = state.refresh_token_response(served, client, fields.get("refresh_token", ""), base_url=base)
            except TokenRejected as exc:
                raise KeycloakError(400, "invalid_grant", _refresh_error(exc)) from exc
        else:
            raise KeycloakError(400, "unsupported_grant_type", "Unsupported grant_type")
        return JSONResponse(body, headers=_NO_STORE)

    @app.api_route("/realms/{realm}/protocol/openid-connect/userinfo", methods=["GET", "POST"])
    async def userinfo(realm: str, request: Request) -> JSONResponse:
        served = realm_of(realm)
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise KeycloakError(
                401,
                "invalid_request",
                "Token not provided",
                headers={"WWW-Authenticate": f'Bearer realm="{served.name}", error="invalid_request"'},
            )
        try:
            claims = state.check_token(served, token.strip(), base_url=base_of(request))
        except TokenRejected as exc:
            raise KeycloakError(
                401,
                "invalid_token",
                "Token verification failed",
                headers={"WWW-Authenticate": f'Bearer realm="{served.name}", error="invalid_token"'},
            ) from exc
        return JSONResponse(state.userinfo(claims))

    @app.post("/realms/{realm}/protocol/openid-connect/token/introspect")
    async def introspect(realm: str, request: Request) -> JSONResponse:
        served = realm_of(realm)
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        client = _authenticate_client(served, request, fields)
        if client.public:
            raise KeycloakError(403, "invalid_request", "Client not allowed.")
        try:
            claims = state.check_token(served, fields.get("token", ""), base_url=base_of(request))
        except TokenRejected:
            return JSONResponse({"active": False})
        return JSONResponse(
            {
                **claims,
                "client_id": claims.get("azp"),
                "username": claims.get("preferred_username"),
                "token_type": "Bearer",
                "active": True,
            }
        )

    @app.post("/realms/{realm}/protocol/openid-connect/logout")
    async def logout(realm: str) -> Response:
        # Sessions are not tracked, so there is nothing to end; Keycloak answers 204.
        realm_of(realm)
        return Response(status_code=204)

    add_admin_routes(app, state, base_of)
    return app


def _authenticate_client(realm: Realm, request: Request, fields: dict[str, str]) -> Client:
    client_id, secret = fields.get("client_id"), fields.get("client_secret")
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, secret = basic
    client = realm.clients.get(client_id or "")
    if client is None:
        raise KeycloakError(401, "invalid_client", _BAD_CLIENT)
    if not client.public:
        if not secret or not hmac.compare_digest(client.secret or "", secret):
            raise KeycloakError(401, "unauthorized_client", _BAD_CLIENT)
    return client


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise KeycloakError(401, "invalid_client", _BAD_CLIENT) from None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def _refresh_error(exc: TokenRejected) -> str:
    message = str(exc)
    return message if message.startswith("Invalid refresh token") else "Invalid refresh token"


__all__ = ["KeycloakError", "create_issuer_app"]
