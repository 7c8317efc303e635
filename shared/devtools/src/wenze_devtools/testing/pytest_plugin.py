"""Pytest fixtures every Wenze test suite can use (registered in the root conftest.py).

- ``oidc_issuer``: the running :class:`~wenze_devtools.testing.issuer.Issuer` (mint tokens, rotate keys)
- ``issuer_url``: its base URL, e.g. ``http://127.0.0.1:43817`` (Keycloak's ``server_url``)
- ``auth_settings``: :class:`~wenze.auth.AuthSettings` pointing at it
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wenze.auth.settings import AuthSettings
from wenze_devtools.testing.fixtures import running_issuer
from wenze_devtools.testing.issuer import Issuer


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[Issuer]:
    with running_issuer() as issuer:
        yield issuer


@pytest.fixture(scope="session")
def issuer_url(oidc_issuer: Issuer) -> str:
    assert oidc_issuer.base_url is not None
    return oidc_issuer.base_url


@pytest.fixture
def auth_settings(issuer_url: str) -> AuthSettings:
    # Refresh as often as asked: each test gets its own verifier and key cache.
    return AuthSettings(oidc_base_url=issuer_url, jwks_min_refresh_seconds=0)
