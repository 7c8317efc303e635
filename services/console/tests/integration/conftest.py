from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wenze_devtools.testing.infra import ServiceProcess


@pytest.fixture(scope="module")
def console(issuer_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The console as a process of its own, signing in against the session's issuer. No service
    answers at its API addresses: these tests stop at what the console decides itself."""
    log = Path(tmp_path_factory.mktemp("console")) / "console.log"
    process = ServiceProcess(
        service="console",
        role="api",
        env={
            "WENZE_OIDC_BASE_URL": issuer_url,
            "WENZE_CONSOLE_INTAKE_URL": "http://127.0.0.1:9",
            "WENZE_CONSOLE_ROUTING_URL": "http://127.0.0.1:9",
            "WENZE_CONSOLE_REPORTING_URL": "http://127.0.0.1:9",
        },
        log_path=log,
    ).start()
    yield process
    process.stop()
