"""``python -m wenze_devtools.testing.issuer --host 127.0.0.1 --port 8080``"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from wenze_devtools.testing.issuer.app import create_issuer_app
from wenze_devtools.testing.issuer.realms import (
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_USERNAME,
    DEFAULT_API_SECRET,
    DEFAULT_INTEGRATOR_SECRET,
    DEFAULT_REALMS,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m wenze_devtools.testing.issuer",
        description="Keycloak-compatible OIDC issuer with the Wenze demo realms and users.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--realm", action="append", dest="realms", help="realm to serve (repeatable)")
    parser.add_argument(
        "--base-url",
        help="public URL put in 'iss' (default: the URL each request arrived on)",
    )
    parser.add_argument("--key-dir", type=Path, help="keep realm keys here so restarts keep tokens valid")
    parser.add_argument("--users", type=Path, help="demo users YAML (default: the bundled one)")
    parser.add_argument(
        "--api-secret",
        default=os.environ.get("WENZE_ISSUER_API_SECRET", DEFAULT_API_SECRET),
        help="secret of the confidential client wenze-api",
    )
    parser.add_argument(
        "--integrator-secret",
        default=os.environ.get("WENZE_ISSUER_INTEGRATOR_SECRET", DEFAULT_INTEGRATOR_SECRET),
        help="secret of the service-account client wenze-integrator",
    )
    parser.add_argument(
        "--admin-username",
        default=os.environ.get("WENZE_ISSUER_ADMIN_USERNAME", DEFAULT_ADMIN_USERNAME),
        help="administrator of the master realm, for the Admin REST API (wenze keycloak apply)",
    )
    parser.add_argument(
        "--admin-password",
        default=os.environ.get("WENZE_ISSUER_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
        help="that administrator's password",
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    app = create_issuer_app(
        args.realms or DEFAULT_REALMS,
        base_url=args.base_url,
        key_dir=args.key_dir,
        users_path=args.users,
        api_secret=args.api_secret,
        integrator_secret=args.integrator_secret,
        admin_username=args.admin_username,
        admin_password=args.admin_password,
    )
    # Without "server: uvicorn", as the services answer.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False)


if __name__ == "__main__":
    main()
