"""``wenze audit verify`` pointed at the wrong place says so in a sentence, not a traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.cli.output import EXIT_PROBLEM, EXIT_UNREACHABLE

runner = CliRunner()


def verify(url: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", "--database-url", url, "--schema", "intake"])
    return result.exit_code, " ".join(result.output.split())


def test_a_database_that_cannot_be_reached() -> None:
    # Port 9 (discard) has no database behind it; the password is never shown.
    code, output = verify("postgresql://auditor:s3cret@127.0.0.1:9/wenze")
    assert code == EXIT_UNREACHABLE, output
    assert "cannot read postgresql://auditor:***@127.0.0.1:9/wenze" in output
    assert "s3cret" not in output and "Traceback" not in output


def test_a_database_without_an_audit_log(tmp_path: Path) -> None:
    code, output = verify(f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == EXIT_PROBLEM, output
    assert "schema intake of" in output and "has no audit log" in output
    assert "Traceback" not in output
