from __future__ import annotations

import pytest

from wenze_notification.app import create_app
from wenze_notification.config import NotificationSettings


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_create_app_serves_health(path: str) -> None:
    app = create_app(NotificationSettings())
    assert app.title == "Wenze notification"
    assert path in app.openapi()["paths"]


def test_settings_read_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_NOTIFICATION_NATS_URL", "nats://nats.example:4222")
    settings = NotificationSettings()
    assert settings.service_name == "notification"
    assert settings.db_schema == "notification"
    assert settings.nats_url == "nats://nats.example:4222"
