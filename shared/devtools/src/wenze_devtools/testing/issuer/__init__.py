"""A Keycloak-compatible OIDC issuer for tests and the embedded stack.

It serves Keycloak's paths and claim shapes, so python-keycloak and
:class:`wenze.auth.TokenVerifier` work against it exactly as against a real Keycloak.
Demo users are in ``demo_users/<realm>.yaml`` (password ``wenze``): one realm per tenant, and
``wenze-platform`` for platform operators. Keycloak's ``master`` realm holds an administrator
(``admin``/``admin`` by default) for the Admin REST API that ``wenze keycloak apply`` uses.
"""

from wenze_devtools.testing.issuer.app import create_issuer_app
from wenze_devtools.testing.issuer.issuer import Issuer, TokenRejected
from wenze_devtools.testing.issuer.keys import SigningKey, generate_signing_key, load_or_create_key
from wenze_devtools.testing.issuer.realms import (
    ADMIN_REALM,
    API_CLIENT,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_USERNAME,
    DEFAULT_API_SECRET,
    DEFAULT_INTEGRATOR_SECRET,
    DEFAULT_REALMS,
    INTEGRATOR_CLIENT,
    INTEGRATOR_ROLES,
    PLATFORM_REALM,
    TENANT_REALMS,
    WEB_CLIENT,
    DemoUser,
    load_demo_users,
)

__all__ = [
    "ADMIN_REALM",
    "API_CLIENT",
    "DEFAULT_ADMIN_PASSWORD",
    "DEFAULT_ADMIN_USERNAME",
    "DEFAULT_API_SECRET",
    "DEFAULT_INTEGRATOR_SECRET",
    "DEFAULT_REALMS",
    "INTEGRATOR_CLIENT",
    "INTEGRATOR_ROLES",
    "PLATFORM_REALM",
    "TENANT_REALMS",
    "WEB_CLIENT",
    "DemoUser",
    "Issuer",
    "SigningKey",
    "TokenRejected",
    "create_issuer_app",
    "generate_signing_key",
    "load_demo_users",
    "load_or_create_key",
]
