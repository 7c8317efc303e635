"""What the ``wenze`` CLI prints of intake's real answers: matters and lists in the pack's words,
refusals as problem documents, imports, and what it says when a server is not intake or not
there at all."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess
from wenze_devtools.testing.issuer import Issuer

pytestmark = pytest.mark.integration

runner = CliRunner()
# A port nothing listens on.
NOWHERE = "http://127.0.0.1:1"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, intake: ServiceProcess, token) -> dict[str, str]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return {
        "WENZE_TOKEN": token("wenze-kunshan", "ks-intake"),
        "WENZE_INTAKE_URL": intake.url,
        "WENZE_EXECUTION_URL": NOWHERE,
        "COLUMNS": "200",
    }


@pytest.fixture
def matter_file(tmp_path: Path) -> Callable[[dict], str]:
    def write(body: dict) -> str:
        path = tmp_path / f"{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        return str(path)

    return write


def _printed_json(result) -> dict:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return json.loads(result.stdout)


def _submitted(env: dict[str, str], path: str) -> dict:
    return _printed_json(runner.invoke(app, ["submit", path, "--json"], env=env))


def test_submit_prints_the_matter_or_only_its_json_and_a_duplicate_as_its_problem(
    env, make_matter, matter_file
) -> None:
    body = make_matter()
    path = matter_file(body)
    registered = runner.invoke(app, ["submit", path], env=env)
    assert registered.exit_code == 0, registered.stderr
    assert "Registered KS-" in registered.stdout

    # --json from standard input: the matter alone on stdout, nothing else.
    again = {**body, "source_reference": body["source_reference"] + "-2"}
    matter = _printed_json(runner.invoke(app, ["submit", "-", "--json"], env=env, input=json.dumps(again)))
    assert matter["source_reference"] == again["source_reference"] and matter["state"] == "received"

    # The duplicate: the problem document on stderr with --json, its extension members without.
    duplicate = runner.invoke(app, ["submit", matter_file(again), "--json"], env=env)
    assert (duplicate.exit_code, duplicate.stdout) == (1, "")
    problem = json.loads(duplicate.stderr)
    assert problem["type"].endswith("/duplicate-matter") and problem["status"] == 409
    assert problem["existing_matter_id"] == matter["id"]
    shown = runner.invoke(app, ["submit", matter_file(again)], env=env)
    assert shown.exit_code == 1 and "Error 409" in shown.stderr
    assert f"existing_matter_id: {matter['id']}" in shown.stderr


def test_a_refusal_names_each_field_once(env, make_matter, matter_file) -> None:
    body = {**make_matter(key_supervised="maybe"), "summary": None}
    result = runner.invoke(app, ["submit", matter_file(body)], env=env)
    assert (result.exit_code, result.stdout) == (1, "")
    assert "Error 422" in result.stderr
    fields = [line.split("•", 1)[1].split(":", 1)[0].strip() for line in result.stderr.splitlines() if "•" in line]
    assert sorted(fields) == ["body.key_supervised", "body.summary"], result.stderr
    for field in fields:
        assert result.stderr.count(f"{field}:") == 1, "each field's reason is said once, not again in the detail"


def test_an_answer_that_is_not_intakes_and_no_answer_at_all(env, oidc_issuer: Issuer, make_matter, matter_file) -> None:
    # The issuer has no /v1/matters: its 404 is not a problem document, and is shown as it came.
    elsewhere = runner.invoke(app, ["submit", matter_file(make_matter()), "--url", oidc_issuer.base_url], env=env)
    assert elsewhere.exit_code == 1
    assert "Error 404: Not Found" in elsewhere.stderr
    unreachable = runner.invoke(app, ["show", "KS-2026-00001", "--url", NOWHERE], env=env)
    assert unreachable.exit_code == 4
    assert f"cannot reach {NOWHERE}" in unreachable.stderr
    as_json = runner.invoke(app, ["show", "KS-2026-00001", "--url", NOWHERE, "--json"], env=env)
    assert as_json.exit_code == 4 and json.loads(as_json.stderr)["error"] == "unreachable"


def test_list_applies_each_filter_follows_cursors_and_fits_80_columns(env, make_matter, matter_file) -> None:
    marker = uuid.uuid4().hex[:8]
    long = "城市更新项目推进不力" * 6
    summaries = (f"列表{marker}甲", f"列表{marker}乙{long}")
    numbers = [_submitted(env, matter_file(make_matter(summary=summary)))["number"] for summary in summaries]
    filters = [
        "--q", f"列表{marker}", "--state", "received", "--source", "city_government", "--target-name", "张明",
        "--cadre-level", "city_managed", "--received-from", "2026-01-01", "--received-to", "2099-12-31",
    ]  # fmt: skip
    every = _printed_json(runner.invoke(app, ["list", *filters, "--limit", "1", "--all", "--json"], env=env))
    assert sorted(m["number"] for m in every["items"]) == sorted(numbers) and every["next_cursor"] is None
    # Each filter reaches intake: one that no matter meets leaves none.
    for option, value in (("--state", "accepted"), ("--source", "public_complaint"), ("--target-name", "李四"),
                          ("--cadre-level", "not_city_managed"), ("--received-to", "2026-01-01")):  # fmt: skip
        narrowed = [*filters, option, value]
        assert _printed_json(runner.invoke(app, ["list", *narrowed, "--json"], env=env))["items"] == [], option

    table = runner.invoke(app, ["list", "--q", f"列表{marker}", "--limit", "1"], env={**env, "COLUMNS": "80"})
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    # One line per matter: the number whole (what `show` takes), the source by its label, the
    # summary cut short visibly; the next page's cursor is printed.
    (row,) = [line for line in lines if "KS-" in line]
    assert numbers[1] in row and row.rstrip().endswith("…")
    assert "市政府及" in row and "city_government" not in table.stdout
    assert "--cursor " in table.stdout


def test_show_in_the_packs_words_and_without_sanction_execution(env, make_matter, matter_file) -> None:
    matter = _submitted(env, matter_file(make_matter()))
    shown = _printed_json(runner.invoke(app, ["show", matter["number"], "--json"], env=env))
    assert [e["action"] for e in shown["timeline"]] == ["received"]
    assert shown["executions"] is None and shown["executions_unavailable"].startswith(f"cannot reach {NOWHERE}")
    table = runner.invoke(app, ["show", matter["id"]], env=env)
    assert table.exit_code == 0, table.stderr
    pack = get_pack("kunshan")
    for text in (matter["number"], "ks-intake", pack.label("cadre_levels", "city_managed")):
        assert text in table.stdout, text
    assert pack.label("intake_sources", "city_government") in table.stdout
    for code in ("city_managed", "city_government", "form_2", "city_department"):
        assert code not in table.stdout, code
    (line,) = [line for line in table.stdout.splitlines() if "executions" in line]
    assert line.startswith(f"executions (执行) could not be read: cannot reach {NOWHERE}")
    unset = runner.invoke(app, ["show", matter["id"], "--execution-url", ""], env=env)
    assert "executions (执行) could not be read: no sanction-execution URL given" in unset.stdout


def test_accept_sends_the_collective_study(env, make_matter, matter_file) -> None:
    matter = _submitted(env, matter_file(make_matter()))
    today = get_pack("kunshan").today().isoformat()
    transferred = _printed_json(
        runner.invoke(
            app,
            ["accept", matter["number"], "--outcome", "transferred", "-p", "周敏", "--participant", "陈立",
             "--study-date", today, "--reason", "不属本级管辖", "--transferred-to", "苏州市纪委监委", "--json"],
            env=env,
        )
    )  # fmt: skip
    assert transferred["state"] == "transferred"
    acceptance = transferred["acceptance"]
    assert acceptance["participants"] == ["周敏", "陈立"] and acceptance["study_date"] == today
    assert (acceptance["reason"], acceptance["transferred_to"]) == ("不属本级管辖", "苏州市纪委监委")


def test_imports_of_a_csv_by_its_chinese_name_and_of_a_file_that_is_no_workbook(env, tmp_path: Path) -> None:
    csv = tmp_path / "线索.csv"
    csv.write_text("source,source_reference,summary\n", encoding="utf-8")
    result = _printed_json(runner.invoke(app, ["import", str(csv), "--interval", "0.1", "--json"], env=env))
    # The name travels percent-encoded in a header and arrives whole.
    assert (result["job"]["filename"], result["job"]["format"], result["job"]["state"]) == (
        "线索.csv",
        "csv",
        "completed",
    )
    assert (result["job"]["total_rows"], result["row_errors"]) == (0, [])

    workbook = tmp_path / "clues.xlsx"
    workbook.write_bytes(b"PK\x03\x04 not really")
    refused = runner.invoke(app, ["import", str(workbook), "--interval", "0.1"], env=env)
    assert refused.exit_code == 1, refused.stdout
    assert "XLSX" in refused.stdout + refused.stderr
