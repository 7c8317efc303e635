from __future__ import annotations

import pytest

from wenze_routing.app import create_app
from wenze_routing.config import RoutingSettings


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_create_app_serves_health(path: str) -> None:
    app = create_app(RoutingSettings())
    assert app.title == "Wenze routing"
    assert path in app.openapi()["paths"]


def test_settings_read_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_ROUTING_NATS_URL", "nats://nats.example:4222")
    settings = RoutingSettings()
    assert settings.service_name == "routing"
    assert settings.db_schema == "routing"
    assert settings.nats_url == "nats://nats.example:4222"
