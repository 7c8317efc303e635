"""A YAML syntax error in any pack file is a lint issue with its position, never a crash:
not in ``lint_pack``, not in ``wenze rules lint``, not in the pack's cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wenze.cli.rules import rules_app
from wenze.rules import PackError, clear_cache, lint_pack, load_pack, rulesets_dir
from wenze.rules.cases import load_cases, run_case

# An unclosed flow sequence: the parser notices on the next line, column 6.
BROKEN = "broken: [unclosed\n  next: 1\n"


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped Kunshan pack the test may break."""
    shutil.copytree(rulesets_dir() / "kunshan", tmp_path / "kunshan")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path / "kunshan"
    clear_cache()


def test_copy_lints_clean_before_it_is_broken(packs: Path) -> None:
    assert lint_pack("kunshan") == []


def test_syntax_error_in_a_decision_is_a_lint_issue(packs: Path) -> None:
    # A decision nothing else in the pack refers to: breaking one the workflow binds (routing)
    # also reports the binding as unknown.
    path = packs / "decisions" / "implementation.yaml"
    lines = path.read_text(encoding="utf-8").count("\n")
    path.write_text(path.read_text(encoding="utf-8") + BROKEN, encoding="utf-8")

    issues = lint_pack("kunshan")

    assert len(issues) == 1
    issue = issues[0]
    assert issue.file == "decisions/implementation.yaml"
    # 1-based, as editors count: the line after the unclosed bracket.
    assert issue.location == f"line {lines + 2}, column 7"
    assert issue.message.startswith("YAML syntax error: ")
    assert f"flow sequence at line {lines + 1}, column 9" in issue.message
    assert "\n" not in issue.message
    with pytest.raises(PackError) as raised:
        load_pack("kunshan")
    assert "decisions/implementation.yaml" in str(raised.value)


@pytest.mark.parametrize("name", ["pack.yaml", "documents.yaml"])
def test_syntax_error_in_pack_or_documents_file(packs: Path, name: str) -> None:
    (packs / name).write_text("tenant: kunshan\ntitle: 'unterminated\n", encoding="utf-8")
    issues = lint_pack("kunshan")
    assert [i.file for i in issues] == [name]
    assert issues[0].location.startswith("line ")
    assert "YAML syntax error" in issues[0].message


def test_tab_indentation_is_reported_with_its_position(packs: Path) -> None:
    path = packs / "decisions" / "intake.yaml"
    path.write_text("decision: intake\n\tdescription: x\n", encoding="utf-8")
    issues = lint_pack("kunshan")
    assert [(i.file, i.location) for i in issues] == [("decisions/intake.yaml", "line 2, column 1")]
    assert "cannot start any token" in issues[0].message


def test_lint_cli_prints_the_issue_on_one_line_and_fails(packs: Path) -> None:
    path = packs / "decisions" / "routing.yaml"
    path.write_text(path.read_text(encoding="utf-8") + BROKEN, encoding="utf-8")

    result = CliRunner().invoke(rules_app, ["lint", "--tenant", "kunshan"])

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if "routing.yaml" in line]
    assert len(lines) == 1
    # The brackets of the parser's message survive rich's markup.
    assert "expected ',' or ']', but got ':'" in lines[0]
    assert lines[0].startswith("✗ kunshan/decisions/routing.yaml line ")


def test_syntax_error_in_a_case_file_fails_that_file_only(packs: Path) -> None:
    (packs / "cases" / "zz_broken.yaml").write_text("cases:\n  - name: [x\n", encoding="utf-8")
    cases = load_cases("kunshan")
    broken = [c for c in cases if c.file == "zz_broken.yaml"]
    assert len(broken) == 1
    result = run_case(broken[0])
    assert not result.ok
    assert result.failures[0].startswith("line ")
    assert "YAML syntax error" in result.failures[0]
    others = [c for c in cases if c.file != "zz_broken.yaml"]
    assert others and all(run_case(c).ok for c in others[:5])


def test_a_step_naming_an_unknown_numbering_kind_is_a_lint_issue(packs: Path) -> None:
    path = packs / "decisions" / "execution.yaml"
    text = path.read_text(encoding="utf-8")
    assert "number: organisational_measure_letter" in text
    path.write_text(text.replace("number: organisational_measure_letter", "number: no_such_letter"), encoding="utf-8")
    (issue,) = lint_pack("kunshan")
    assert issue.file == "decisions/execution.yaml"
    assert "no numbering kind 'no_such_letter'" in issue.message
