"""The optional outputs of a workflow step: a bound decision need not declare them, but where it
does, the services read them with the type docs/workflow.md gives, and the linter says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wenze.rules import clear_cache, lint_pack, rulesets_dir


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(rulesets_dir() / "kunshan", tmp_path / "kunshan")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path / "kunshan"
    clear_cache()


def _retype(path: Path, line_start: str, new_line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(line_start))
    lines[index] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_shipped_pack_declares_them_with_their_types(packs: Path) -> None:
    assert lint_pack("kunshan") == []


def test_an_approval_sequence_that_is_not_steps_is_a_lint_issue(packs: Path) -> None:
    _retype(
        packs / "decisions" / "decision.yaml",
        "  approval_sequence:",
        "  approval_sequence: {type: codes, vocab: bodies}",
    )
    issues = [i for i in lint_pack("kunshan") if i.location == "outputs/approval_sequence"]
    assert [i.message for i in issues] == ["the decision step reads output 'approval_sequence' as steps"]


def test_measures_required_that_is_not_a_bool_is_a_lint_issue(packs: Path) -> None:
    _retype(
        packs / "decisions" / "organisational_measures.yaml",
        "  measures_required:",
        "  measures_required: {type: codes, vocab: measures}",
    )
    issues = [i for i in lint_pack("kunshan") if i.location == "outputs/measures_required"]
    assert [i.message for i in issues] == ["the recommendation step reads output 'measures_required' as bool"]
