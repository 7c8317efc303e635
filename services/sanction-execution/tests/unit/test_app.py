from __future__ import annotations

import pytest

from wenze_sanction_execution.app import create_app
from wenze_sanction_execution.config import SanctionExecutionSettings


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_create_app_serves_health(path: str) -> None:
    app = create_app(SanctionExecutionSettings())
    assert app.title == "Wenze sanction-execution"
    assert path in app.openapi()["paths"]


def test_settings_read_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_SANCTION_EXECUTION_NATS_URL", "nats://nats.example:4222")
    settings = SanctionExecutionSettings()
    assert settings.service_name == "sanction-execution"
    assert settings.db_schema == "sanction_execution"
    assert settings.nats_url == "nats://nats.example:4222"
