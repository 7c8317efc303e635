from __future__ import annotations

import pytest

from wenze_reporting.app import create_app
from wenze_reporting.config import ReportingSettings


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_create_app_serves_health(path: str) -> None:
    app = create_app(ReportingSettings())
    assert app.title == "Wenze reporting"
    assert path in app.openapi()["paths"]


def test_settings_read_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_REPORTING_NATS_URL", "nats://nats.example:4222")
    settings = ReportingSettings()
    assert settings.service_name == "reporting"
    assert settings.db_schema == "reporting"
    assert settings.nats_url == "nats://nats.example:4222"
