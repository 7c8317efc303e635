"""The ``wenze`` CLI against the real intake service, with a token from the issuer over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess
from wenze_devtools.testing.issuer import Issuer

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, intake: ServiceProcess) -> dict[str, str]:
    # A private config dir, so the session file is this test's own; no WENZE_TOKEN, so the
    # commands use what `wenze login` stored.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("WENZE_TOKEN", raising=False)
    monkeypatch.delenv("WENZE_INTAKE_URL", raising=False)
    return {"COLUMNS": "200"}


def _json(result) -> dict:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return json.loads(result.stdout)


def test_login_submit_list_show_accept(
    cli_env, intake: ServiceProcess, oidc_issuer: Issuer, tmp_path: Path, make_matter
) -> None:
    login = runner.invoke(
        app,
        [
            "login",
            "--tenant",
            "kunshan",
            "--username",
            "ks-intake",
            "--password",
            "wenze",
            "--issuer-url",
            oidc_issuer.base_url,
            "--url",
            intake.url,
            "--json",
        ],
        env=cli_env,
    )
    assert _json(login)["realm"] == "wenze-kunshan"

    marker = uuid.uuid4().hex[:8]
    body = make_matter(summary=f"命令行提交{marker}")
    path = tmp_path / "matter.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    submitted = _json(
        runner.invoke(app, ["submit", str(path), "--idempotency-key", f"cli-{marker}", "--json"], env=cli_env)
    )
    assert re.fullmatch(rf"KS-{dt.date.today().year}-\d{{5}}", submitted["number"])
    assert submitted["state"] == "received" and submitted["submitted_by"] == "ks-intake"
    assert submitted["targets"][0]["name"] == "张明"

    replay = runner.invoke(
        app, ["submit", "-", "--idempotency-key", f"cli-{marker}"], env=cli_env, input=path.read_text(encoding="utf-8")
    )
    assert replay.exit_code == 0, replay.stderr
    assert f"Already registered (idempotent replay) {submitted['number']}" in replay.stdout

    duplicate = runner.invoke(app, ["submit", str(path)], env=cli_env)
    assert duplicate.exit_code == 1
    assert "Error 409" in duplicate.stderr and submitted["id"] in duplicate.stderr
    assert "body.source_reference" in duplicate.stderr

    listed = _json(
        runner.invoke(app, ["list", "--q", f"命令行提交{marker}", "--state", "received", "--json"], env=cli_env)
    )
    assert [m["id"] for m in listed["items"]] == [submitted["id"]]

    table = runner.invoke(app, ["list", "--q", f"命令行提交{marker}"], env=cli_env)
    # The table names a matter by its number, which `show` takes as well as the id.
    assert table.exit_code == 0 and submitted["number"] in table.stdout

    shown = _json(runner.invoke(app, ["show", submitted["number"], "--json"], env=cli_env))
    assert shown["id"] == submitted["id"]
    assert shown["summary"] == f"命令行提交{marker}"
    assert [e["action"] for e in shown["timeline"]] == ["received"]

    accepted = _json(
        runner.invoke(
            app,
            [
                "accept",
                submitted["id"],
                "--outcome",
                "accepted",
                "-p",
                "周敏",
                "-p",
                "陈立",
                "--study-date",
                dt.date.today().isoformat(),
                "--json",
            ],
            env=cli_env,
        )
    )
    assert accepted["state"] == "accepted"
    assert accepted["acceptance"]["participants"] == ["周敏", "陈立"]
    assert accepted["acceptance"]["decided_by"] == "ks-intake"

    shown = runner.invoke(app, ["show", submitted["id"]], env=cli_env)
    assert shown.exit_code == 0, shown.stderr
    assert "acceptance_decided" in shown.stdout and "周敏、陈立" in shown.stdout

    # Refused by the API: not accepted needs a reason.
    refused = runner.invoke(
        app,
        [
            "accept",
            submitted["id"],
            "--outcome",
            "not_accepted",
            "-p",
            "周敏",
            "--study-date",
            dt.date.today().isoformat(),
        ],
        env=cli_env,
    )
    assert refused.exit_code == 1
    assert "Error 4" in refused.stderr


def test_import_jsonl(cli_env, intake: ServiceProcess, token, tmp_path: Path, make_matter) -> None:
    env = {**cli_env, "WENZE_TOKEN": token("wenze-kunshan", "ks-intake"), "WENZE_INTAKE_URL": intake.url}
    marker = uuid.uuid4().hex[:8]
    rows = [json.dumps(make_matter(summary=f"命令行导入{marker}-{i}"), ensure_ascii=False) for i in range(3)]
    rows.insert(1, json.dumps(make_matter(source="nowhere", summary=f"命令行导入{marker}-bad"), ensure_ascii=False))
    path = tmp_path / "clues.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    result = _json(runner.invoke(app, ["import", str(path), "--interval", "0.1", "--json"], env=env))
    job = result["job"]
    assert job["state"] == "completed"
    assert job["format"] == "jsonl" and job["filename"] == "clues.jsonl"
    assert (job["total_rows"], job["processed_rows"], job["registered"], job["refused"]) == (4, 4, 3, 1)
    assert [e["row"] for e in result["row_errors"]] == [2]
    assert result["row_errors"][0]["errors"][0]["field"] == "source"

    listed = _json(
        runner.invoke(app, ["list", "--q", f"命令行导入{marker}", "--all", "--limit", "2", "--json"], env=env)
    )
    assert sorted(m["summary"] for m in listed["items"]) == [f"命令行导入{marker}-{i}" for i in range(3)]

    # The same file again, as a person watches it: now the three good rows are duplicates, so
    # the summary and the table of refused rows show all four.
    shown = runner.invoke(app, ["import", str(path), "--interval", "0.1"], env=env)
    assert shown.exit_code == 0, shown.stderr
    for text in ("completed", "4 of 4", "refused rows", "source_reference"):
        assert text in shown.stdout
    assert "4/4" in shown.stdout  # the progress bar: rows done of the total the worker counted

    # The first import's three matters, accepted by one command.
    study_date = get_pack("kunshan").today().isoformat()
    accept = ["accept-import", job["id"], "-p", "周敏", "-p", "陈立", "--study-date", study_date]
    assert _json(runner.invoke(app, [*accept, "--json"], env=env)) == {
        "job_id": job["id"],
        "accepted": 3,
        "awaiting": 0,
    }
    listed = _json(runner.invoke(app, ["list", "--q", f"命令行导入{marker}", "--all", "--json"], env=env))
    assert {m["state"] for m in listed["items"]} == {"accepted"}
    again = runner.invoke(app, accept, env=env)
    assert again.exit_code == 0, again.stderr
    assert "0 accepted" in again.stdout
