"""The CLI's token handling: where the session lives, its mode, expiry, refresh and ``WENZE_TOKEN``."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wenze.cli import auth
from wenze.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("WENZE_TOKEN", raising=False)
    return tmp_path


def _session(**extra: object) -> auth.Session:
    values: dict = {
        "issuer_url": "http://issuer.test",
        "realm": "wenze-kunshan",
        "client_id": "wenze-web",
        "username": "ks-intake",
        "access_token": "stored-token",
        "expires_at": time.time() + 300,
        "refresh_token": "r",
        "refresh_expires_at": time.time() + 1800,
    }
    values.update(extra)
    return auth.Session(**values)


def test_realm_for() -> None:
    assert auth.realm_for("kunshan") == "wenze-kunshan"
    assert auth.realm_for("wenze-hubei") == "wenze-hubei"


def test_session_file_is_private_and_under_the_xdg_config_dir(config_home: Path) -> None:
    session = _session()
    path = auth.save_session(session)
    assert path == config_home / "wenze" / "session.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.load_session() == session
    assert auth.access_token() == "stored-token"


def test_env_token_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    auth.save_session(_session())
    monkeypatch.setenv("WENZE_TOKEN", "from-env")
    assert auth.access_token() == "from-env"


def test_no_session() -> None:
    with pytest.raises(auth.AuthError, match="not logged in"):
        auth.access_token()


def test_expired_session_without_refresh() -> None:
    auth.save_session(_session(expires_at=time.time() - 1, refresh_token=None))
    with pytest.raises(auth.AuthError, match="expired"):
        auth.access_token()


def test_expired_session_is_refreshed_and_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    auth.save_session(_session(expires_at=time.time() - 1))
    monkeypatch.setattr(auth, "refresh", lambda s, **_: _session(access_token="fresh"))
    assert auth.access_token() == "fresh"
    assert auth.load_session().access_token == "fresh"  # type: ignore[union-attr]


def test_corrupt_session_file(config_home: Path) -> None:
    (config_home / "wenze").mkdir()
    (config_home / "wenze" / "session.json").write_text("{", encoding="utf-8")
    with pytest.raises(auth.AuthError, match="wenze login"):
        auth.access_token()


def test_intake_url_given_at_login_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from wenze.cli.matters import resolve_url

    auth.save_session(_session(intake_url="http://intake.test:9001"))
    assert resolve_url(None) == "http://intake.test:9001"
    assert resolve_url("http://other:1") == "http://other:1"


def test_login_command_stores_the_session(monkeypatch: pytest.MonkeyPatch, config_home: Path) -> None:
    calls: list[dict] = []

    def fake_login(**kwargs: object) -> auth.Session:
        calls.append(kwargs)
        return _session(realm="wenze-jintan", username=str(kwargs["username"]))

    monkeypatch.setattr(auth, "login", fake_login)
    result = runner.invoke(
        app, ["login", "--tenant", "jintan", "--username", "jt-commission", "--json"], input="wenze\n"
    )
    assert result.exit_code == 0, result.output
    assert calls[0]["tenant"] == "jintan" and calls[0]["password"] == "wenze"
    assert calls[0]["issuer_url"] == auth.DEFAULT_ISSUER_URL and calls[0]["client_id"] == "wenze-web"
    assert '"tenant": "jintan"' in result.stdout
    assert (config_home / "wenze" / "session.json").exists()


def test_login_refused_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_: object) -> auth.Session:
        raise auth.AuthError("login to realm wenze-kunshan refused: Invalid user credentials (401)")

    monkeypatch.setattr(auth, "login", refuse)
    result = runner.invoke(
        app, ["login", "--tenant", "kunshan", "--username", "ks-intake", "--password", "x"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 3
    assert "Invalid user credentials" in result.stderr
