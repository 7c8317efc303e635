"""Platform-wide settings a deployment sets once for every service."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wenze.auth import AuthSettings
from wenze.config import DEFAULT_TENANTS, ServiceSettings


class _Svc(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "WENZE_SVC_"}
    service_name: str = "svc"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WENZE_TENANTS", "WENZE_SVC_TENANTS", "WENZE_STREAM_REPLICAS", "WENZE_SVC_STREAM_REPLICAS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("WENZE_OIDC_INTERNAL_URL", raising=False)


def test_without_a_list_every_tenant_with_a_pack_is_served() -> None:
    assert _Svc().tenants == DEFAULT_TENANTS


def test_the_platform_wide_tenant_list_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_TENANTS", " kunshan, jintan ,")
    assert _Svc().tenants == ("kunshan", "jintan")


def test_a_service_list_wins_and_may_be_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_TENANTS", "kunshan,jintan")
    monkeypatch.setenv("WENZE_SVC_TENANTS", '["hubei"]')
    assert _Svc().tenants == ("hubei",)


def test_stream_replicas_are_set_once_for_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _Svc().stream_replicas == 1
    monkeypatch.setenv("WENZE_STREAM_REPLICAS", "3")
    assert _Svc().stream_replicas == 3


@pytest.mark.parametrize("value", ["0", "6", "three"])
def test_stream_replicas_outside_what_jetstream_allows_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WENZE_STREAM_REPLICAS", value)
    with pytest.raises(ValidationError, match="stream_replicas"):
        _Svc()


def test_the_internal_keycloak_address_reaches_the_verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_OIDC_INTERNAL_URL", "http://keycloak.identity:8080/")
    auth = AuthSettings.from_settings(_Svc(oidc_base_url="https://id.example.org"))
    assert auth.issuer_of("kunshan") == "https://id.example.org/realms/wenze-kunshan"
    assert (
        auth.jwks_url_of("kunshan")
        == "http://keycloak.identity:8080/realms/wenze-kunshan/protocol/openid-connect/certs"
    )
