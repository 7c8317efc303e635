from __future__ import annotations

import pytest
from pydantic import ValidationError

from wenze.auth import AuthSettings, check_capability
from wenze.config import ServiceSettings


def test_realm_and_issuer_follow_the_naming_convention() -> None:
    s = AuthSettings(oidc_base_url="https://id.example.cn/")
    assert s.realm_of("kunshan") == "wenze-kunshan"
    assert s.issuer_of("hubei") == "https://id.example.cn/realms/wenze-hubei"
    assert s.jwks_url_of("jintan") == ("https://id.example.cn/realms/wenze-jintan/protocol/openid-connect/certs")


def test_internal_url_only_changes_where_keys_are_fetched() -> None:
    s = AuthSettings(oidc_base_url="https://id.example.cn", oidc_internal_url="http://keycloak:8080")
    assert s.issuer_of("kunshan") == "https://id.example.cn/realms/wenze-kunshan"
    assert s.jwks_url_of("kunshan").startswith("http://keycloak:8080/realms/wenze-kunshan/")


def test_tenant_of_issuer_accepts_only_listed_tenants() -> None:
    s = AuthSettings(oidc_base_url="http://127.0.0.1:8080", tenants="kunshan, jintan")
    assert s.tenants == ("kunshan", "jintan")
    assert s.tenant_of_issuer("http://127.0.0.1:8080/realms/wenze-jintan") == "jintan"
    assert s.tenant_of_issuer("http://127.0.0.1:8080/realms/wenze-hubei") is None
    assert s.tenant_of_issuer("http://127.0.0.1:8080/realms/master") is None
    assert s.tenant_of_issuer("http://localhost:8080/realms/wenze-jintan") is None


def test_from_service_settings() -> None:
    service = ServiceSettings(oidc_base_url="http://idp:9000", oidc_audience="other-api")
    s = AuthSettings.from_settings(service, jwks_min_refresh_seconds=1)
    assert (s.oidc_base_url, s.oidc_audience, s.jwks_min_refresh_seconds) == (
        "http://idp:9000",
        "other-api",
        1,
    )
    assert s.tenants == ("kunshan", "jintan", "zhenxiong", "hubei")


def test_negative_refresh_interval_is_invalid() -> None:
    with pytest.raises(ValidationError):
        AuthSettings(jwks_min_refresh_seconds=-1)


def test_unknown_capability_is_a_programming_error() -> None:
    assert check_capability("matter:accept") == "matter:accept"
    with pytest.raises(ValueError, match="unknown capability 'matter:approve'"):
        check_capability("matter:approve")
