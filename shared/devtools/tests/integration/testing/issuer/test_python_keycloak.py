"""python-keycloak, unchanged, against the issuer served over real HTTP."""

from __future__ import annotations

import base64

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from wenze_devtools.testing.issuer import DEFAULT_API_SECRET, DEFAULT_INTEGRATOR_SECRET

pytestmark = pytest.mark.integration


@pytest.fixture
def kunshan(issuer_url: str) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=issuer_url,
        realm_name="wenze-kunshan",
        client_id="wenze-api",
        client_secret_key=DEFAULT_API_SECRET,
    )


def test_token_with_password(kunshan: KeycloakOpenID, issuer_url: str) -> None:
    token = kunshan.token("ks-intake", "wenze")
    assert token["token_type"] == "Bearer"
    assert {"access_token", "refresh_token", "id_token", "expires_in"} <= set(token)
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["iss"] == f"{issuer_url}/realms/wenze-kunshan"
    assert claims["office_name"] == "党风政风监督室"


def test_well_known(kunshan: KeycloakOpenID, issuer_url: str) -> None:
    doc = kunshan.well_known()
    realm = f"{issuer_url}/realms/wenze-kunshan"
    assert doc["issuer"] == realm
    assert doc["token_endpoint"] == f"{realm}/protocol/openid-connect/token"
    assert doc["jwks_uri"] == f"{realm}/protocol/openid-connect/certs"


def test_certs_name_the_signing_key(kunshan: KeycloakOpenID) -> None:
    token = kunshan.token("ks-trial", "wenze")["access_token"]
    kids = [k["kid"] for k in kunshan.certs()["keys"]]
    assert jwt.get_unverified_header(token)["kid"] in kids


def test_public_key_verifies_the_token(kunshan: KeycloakOpenID) -> None:
    public_key = kunshan.public_key()
    key = load_der_public_key(base64.b64decode(public_key))
    token = kunshan.token("ks-leader", "wenze")["access_token"]
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="wenze-api")
    assert claims["preferred_username"] == "ks-leader"
    # The PEM form python-keycloak users build by hand must load too.
    pem = f"-----BEGIN PUBLIC KEY-----\n{public_key}\n-----END PUBLIC KEY-----"
    assert jwt.decode(token, pem, algorithms=["RS256"], audience="wenze-api")["sub"] == claims["sub"]


def test_userinfo(kunshan: KeycloakOpenID) -> None:
    token = kunshan.token("ks-supervision-1", "wenze")["access_token"]
    info = kunshan.userinfo(token)
    assert isinstance(info, dict)
    assert info["preferred_username"] == "ks-supervision-1"
    assert info["office_name"] == "第一执纪监督室"
    assert info["name"] == "王建华"


def test_decode_token_validates(kunshan: KeycloakOpenID) -> None:
    token = kunshan.token("ks-case-management", "wenze")["access_token"]
    claims = kunshan.decode_token(token)
    assert claims["preferred_username"] == "ks-case-management"
    assert claims["realm_access"]["roles"].count("matter:read") == 1


def test_refresh_token(kunshan: KeycloakOpenID) -> None:
    first = kunshan.token("ks-trial", "wenze")
    second = kunshan.refresh_token(first["refresh_token"])
    assert second["access_token"] != first["access_token"]
    assert kunshan.decode_token(second["access_token"])["preferred_username"] == "ks-trial"


def test_wrong_password(kunshan: KeycloakOpenID) -> None:
    with pytest.raises(KeycloakAuthenticationError) as info:
        kunshan.token("ks-intake", "guess")
    assert info.value.response_code == 401
    assert b"invalid_grant" in info.value.response_body


def test_wrong_client_secret(issuer_url: str) -> None:
    oidc = KeycloakOpenID(
        server_url=issuer_url,
        realm_name="wenze-kunshan",
        client_id="wenze-api",
        client_secret_key="guess",
    )
    with pytest.raises(KeycloakAuthenticationError) as info:
        oidc.token("ks-intake", "wenze")
    assert info.value.response_code == 401


def test_integrator_client_credentials(issuer_url: str) -> None:
    oidc = KeycloakOpenID(
        server_url=issuer_url,
        realm_name="wenze-hubei",
        client_id="wenze-integrator",
        client_secret_key=DEFAULT_INTEGRATOR_SECRET,
    )
    token = oidc.token(grant_type="client_credentials")
    claims = oidc.decode_token(token["access_token"])
    assert claims["iss"] == f"{issuer_url}/realms/wenze-hubei"
    assert claims["preferred_username"] == "service-account-wenze-integrator"
    assert {"matter:submit", "matter:bulk", "matter:read"} <= set(claims["realm_access"]["roles"])
    with pytest.raises(KeycloakPostError) as info:
        oidc.token("hb-commission", "wenze")
    assert info.value.response_code == 400


def test_public_web_client(issuer_url: str) -> None:
    oidc = KeycloakOpenID(server_url=issuer_url, realm_name="wenze-zhenxiong", client_id="wenze-web")
    token = oidc.token("zx-intake", "wenze")
    assert oidc.decode_token(token["access_token"])["office_name"] == "纪检监察干部监督室"


def test_logout(kunshan: KeycloakOpenID) -> None:
    token = kunshan.token("ks-intake", "wenze")
    assert kunshan.logout(token["refresh_token"]) == {}
