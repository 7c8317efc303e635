"""The workflow steps a pack binds are checked by the linter: the whole-matter routing step
must answer which takes precedence, and a pack may leave it out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wenze.rules import clear_cache, get_pack, lint_pack, rulesets_dir


@pytest.fixture
def kunshan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped Kunshan pack the test may change."""
    shutil.copytree(rulesets_dir() / "kunshan", tmp_path / "kunshan")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path / "kunshan"
    clear_cache()


def test_kunshan_binds_the_whole_matter_step() -> None:
    assert get_pack("kunshan").workflow_decision("matter_routing") == "matter_routing"
    assert all(get_pack(t).workflow_decision("routing") for t in ("jintan", "zhenxiong", "hubei"))


def test_a_matter_routing_decision_without_its_answer_is_a_lint_issue(kunshan: Path) -> None:
    path = kunshan / "decisions" / "matter_routing.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  route_whole_matter: {type: bool" in text
    path.write_text(text.replace("  route_whole_matter: {type: bool", "  route_whole_matter: {type: int"), "utf-8")
    issues = lint_pack("kunshan")
    assert [(i.file, i.location) for i in issues if "matter_routing step" in i.message] == [
        ("decisions/matter_routing.yaml", "outputs/route_whole_matter")
    ]


def test_binding_an_unknown_decision_to_the_step_is_a_lint_issue(kunshan: Path) -> None:
    pack = kunshan / "pack.yaml"
    pack.write_text(
        pack.read_text(encoding="utf-8").replace("matter_routing: matter_routing", "matter_routing: whole"), "utf-8"
    )
    issues = lint_pack("kunshan")
    assert ("pack.yaml", "workflows/accountability/matter_routing") in [(i.file, i.location) for i in issues]


def test_a_pack_without_the_step_lints_clean(kunshan: Path) -> None:
    pack = kunshan / "pack.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("    matter_routing: matter_routing\n", ""), "utf-8")
    assert lint_pack("kunshan") == []
    assert get_pack("kunshan").workflow_decision("matter_routing") is None
