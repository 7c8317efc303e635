"""Steps the tests of ``wenze keycloak apply`` share, against the test issuer and a real Keycloak
alike: run the command, add a user to an office group through the admin API, log in as it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from keycloak import KeycloakAdmin, KeycloakOpenID
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.keycloak.apply import desired_realms, placeholders
from wenze.keycloak.realms import WEB_CLIENT


def placeholder_environment(realms: Iterable[str] | None = None) -> dict[str, str]:
    """A fresh value for every ``${NAME}`` the realm definitions use (secrets differ per run)."""
    names = set().union(*(placeholders(doc) for doc in desired_realms(realms).values()))
    environment = {name: secrets.token_urlsafe(24) for name in names}
    environment["WENZE_WEB_URL"] = "http://127.0.0.1:5173"
    return environment


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str


def run_apply(
    server_url: str,
    environment: Mapping[str, str],
    *args: str,
    username: str = "admin",
    password: str = "admin",
) -> Outcome:
    """``wenze keycloak apply`` in-process, with the admin login and placeholders in its environment."""
    env = {
        **environment,
        "WENZE_KEYCLOAK_URL": server_url,
        "WENZE_KEYCLOAK_ADMIN_USERNAME": username,
        "WENZE_KEYCLOAK_ADMIN_PASSWORD": password,
    }
    result = CliRunner().invoke(app, ["keycloak", "apply", *args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.output)


def admin_client(server_url: str, username: str = "admin", password: str = "admin") -> KeycloakAdmin:
    # The login realm stays master when the realm worked on changes.
    return KeycloakAdmin(
        server_url=server_url, username=username, password=password, realm_name="master", user_realm_name="master"
    )


def group_id(admin: KeycloakAdmin, realm: str, name: str) -> str:
    admin.change_current_realm(realm)
    found = [g for g in admin.get_groups({"search": name}) if g["name"] == name]
    assert len(found) == 1, f"group {name} of {realm}: {found}"
    return str(found[0]["id"])


def add_office_user(
    admin: KeycloakAdmin,
    realm: str,
    *,
    username: str,
    password: str,
    group: str,
    attributes: Mapping[str, list[str]],
) -> str:
    """A user who belongs to the office group ``group``, with a password and the given attributes."""
    admin.change_current_realm(realm)
    user: dict[str, Any] = {
        "username": username,
        "enabled": True,
        "firstName": "建华",
        "lastName": "王",
        "email": f"{username}@example.org",
        "emailVerified": True,
        "attributes": dict(attributes),
        "credentials": [{"type": "password", "value": password, "temporary": False}],
    }
    user_id = str(admin.create_user(user))
    admin.group_user_add(user_id, group_id(admin, realm, group))
    return user_id


def password_token(server_url: str, realm: str, username: str, password: str, client_id: str = WEB_CLIENT) -> str:
    """An access token by the password grant through the public web client, as ``wenze login`` gets one."""
    oidc = KeycloakOpenID(server_url=server_url, realm_name=realm, client_id=client_id)
    return str(oidc.token(username, password)["access_token"])
