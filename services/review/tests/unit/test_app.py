from __future__ import annotations

import pytest

from wenze_review.app import create_app
from wenze_review.config import ReviewSettings


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_create_app_serves_health(path: str) -> None:
    app = create_app(ReviewSettings())
    assert app.title == "Wenze review"
    assert path in app.openapi()["paths"]


def test_settings_read_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_REVIEW_NATS_URL", "nats://nats.example:4222")
    settings = ReviewSettings()
    assert settings.service_name == "review"
    assert settings.db_schema == "review"
    assert settings.nats_url == "nats://nats.example:4222"
