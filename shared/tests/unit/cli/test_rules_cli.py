"""``wenze rules`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from wenze.cli.main import app

runner = CliRunner()

EXAMPLE = {
    "target_kind": "person",
    "cadre_level": "city_managed",
    "sector": "city_department",
    "proposed_forms": ["form_2"],
}


def _facts(tmp_path: Path, facts: dict) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    return str(path)


def test_list_shows_tenants_documents_and_decisions() -> None:
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0, result.output
    for text in ("kunshan", "jintan", "坛办发〔2018〕50号", "not loaded", "routing"):
        assert text in result.output


def test_explain_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "rules",
            "explain",
            "--tenant",
            "kunshan",
            "--decision",
            "routing",
            _facts(tmp_path, EXAMPLE),
            "--on",
            "2026-04-30",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outcome"]["handler"] == "discipline_supervision_office"
    assert data["explanation"][0]["citations"][0]["text"] == "昆纪办发〔2019〕19号 三.1"


def test_explain_table(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "rules",
            "explain",
            "--tenant",
            "kunshan",
            "--decision",
            "implementation",
            _facts(
                tmp_path,
                {
                    "target_class": "major",
                    "target_kind": "person",
                    "decided_forms": ["form_2"],
                    "decided_on": "2026-04-30",
                },
            ),
            "--on",
            "2026-04-30",
        ],
        env={"COLUMNS": "240"},
    )
    assert result.exit_code == 0, result.output
    assert "2026-05-08" in result.output and "copy_party_conduct_3_working_days" in result.output


def test_explain_out_of_period_exits_nonzero(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "rules",
            "explain",
            "--tenant",
            "kunshan",
            "--decision",
            "routing",
            _facts(tmp_path, EXAMPLE),
            "--on",
            "2019-01-01",
            "--json",
        ],
    )
    assert result.exit_code == 1
    assert json.loads(result.output)["code"] == "out_of_period"


def test_unknown_tenant(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["rules", "explain", "--tenant", "nowhere", "--decision", "routing", _facts(tmp_path, EXAMPLE)]
    )
    assert result.exit_code == 2


def test_lint_and_test_pass_on_shipped_packs() -> None:
    lint = runner.invoke(app, ["rules", "lint"])
    assert lint.exit_code == 0, lint.output
    assert "✓ kunshan" in lint.output
    tests = runner.invoke(app, ["rules", "test"])
    assert tests.exit_code == 0, tests.output
    assert " 0 failed" in tests.output


def test_lint_fails_on_a_broken_pack(tmp_path: Path, monkeypatch) -> None:
    from wenze.rules import clear_cache

    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "pack.yaml").write_text("tenant: broken\ntitle: x\nvocabulary: {}\n", encoding="utf-8")
    (pack / "documents.yaml").write_text("documents: []\n", encoding="utf-8")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    result = runner.invoke(app, ["rules", "lint"])
    clear_cache()
    assert result.exit_code == 1
    assert "broken/documents.yaml" in result.output
