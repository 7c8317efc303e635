"""Several procedures per pack: each binds its own workflow, a matter's procedure is chosen by
its intake source or by a selecting decision, and the linter refuses bindings that would leave
a matter without a workflow or a workflow without matters."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from wenze.rules import RulesError, clear_cache, get_pack, lint_pack, rulesets_dir

ON = date(2026, 5, 15)

# A decision choosing the procedure from the matter rather than from the intake source's own
# `procedure`: here, a finding of the inspection office that concerns no rectification goes to
# the conduct procedure.
SELECTION = """\
decision: procedure_choice
description: 按发现者确定事项适用的程序。
relevant_date: the date the matter is routed
inputs:
  source: {type: code, vocab: intake_sources, required: true}
  concerns_rectification: {type: bool, default: true}
outputs:
  procedure: {type: code, vocab: procedures}
tables:
  - name: procedure
    hit: first
    required: true
    rules:
      - id: choose_conduct_for_conduct_sources
        description: 作风问题线索的各类来源适用作风问责程序。
        when: {fact: source, in: [department_transfer, inspection_or_check, public_complaint, media_exposure,
                                  leader_assignment, other_verified, unit_self_found]}
        then: {procedure: conduct}
        cite: [坛作组办〔2019〕2号 第十二条]
      - id: choose_conduct_for_other_findings
        description: 不涉及巡察整改的发现适用作风问责程序。
        when: {fact: concerns_rectification, eq: false}
        then: {procedure: conduct}
        cite: [坛作组办〔2019〕2号 第十二条]
      - id: choose_rectification
        description: 巡察整改中各主体发现或移送的线索适用巡察整改问责程序。
        when: {fact: source, in: [inspected_organisation, discipline_commission, organisation_department,
                                  functional_department, inspection_group_clue, inspection_office_transfer]}
        then: {procedure: inspection_rectification}
        cite: [坛办发〔2023〕29号 第七条]
"""


@pytest.fixture
def jintan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped Jintan pack, with its two workflows, that the test may change."""
    shutil.copytree(rulesets_dir() / "jintan", tmp_path / "jintan")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path / "jintan"
    clear_cache()


def edit(pack: Path, old: str, new: str) -> None:
    path = pack / "pack.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def messages(tenant: str = "jintan") -> list[str]:
    return [f"{i.location}: {i.message}" for i in lint_pack(tenant)]


def test_the_copy_lints_clean(jintan: Path) -> None:
    assert messages() == []


def test_each_procedure_drives_its_own_decisions() -> None:
    pack = get_pack("jintan")
    assert list(pack.workflows) == ["conduct", "inspection_rectification"]
    assert pack.workflow_decision("routing", "conduct") == "routing"
    assert pack.workflow_decision("routing", "inspection_rectification") == "rectification_start"
    assert pack.workflow_decision("decision", "inspection_rectification") == "rectification_decision_body"
    # A step the procedure's workflow does not bind is absent, not borrowed from another procedure.
    assert pack.workflow_decision("joint_review", "inspection_rectification") is None
    assert pack.workflow_decision("joint_review", "conduct") == "conduct_joint_review"
    # Without a procedure (cases recorded before procedures were told apart): the first workflow.
    assert pack.default_procedure == "conduct"
    assert pack.workflow_decision("routing") == "routing"


@pytest.mark.parametrize(
    ("source", "procedure", "article"),
    [
        ("public_complaint", "conduct", "第十二条（三）"),
        ("inspected_organisation", "inspection_rectification", "第七条（一）"),
        ("discipline_commission", "inspection_rectification", "第七条（二）"),
        ("organisation_department", "inspection_rectification", "第七条（三）"),
        ("functional_department", "inspection_rectification", "第七条（四）"),
        ("inspection_group_clue", "inspection_rectification", "第七条（五）"),
    ],
)
def test_the_intake_source_chooses_the_procedure_and_says_why(source: str, procedure: str, article: str) -> None:
    choice = get_pack("jintan").select_procedure({"source": source}, ON)
    assert choice.procedure == procedure
    assert [c.article for c in choice.citations] == [article]


def test_a_pack_with_one_workflow_needs_no_choice() -> None:
    pack = get_pack("kunshan")
    assert list(pack.workflows) == ["accountability"]
    choice = pack.select_procedure({"source": "other"}, ON)
    assert choice.procedure == "accountability" and choice.citations == []
    assert pack.route_per_target("accountability") is True


def test_a_source_open_on_no_date_of_the_matter_chooses_nothing() -> None:
    with pytest.raises(RulesError, match="discipline_commission"):
        get_pack("jintan").select_procedure({"source": "discipline_commission"}, date(2023, 4, 10))


def test_an_unknown_decision_in_a_workflow_is_reported(jintan: Path) -> None:
    edit(jintan, "    routing: rectification_start\n", "    routing: rectification_starter\n")
    assert messages() == ["workflows/inspection_rectification/routing: unknown decision 'rectification_starter'"]


def test_a_decision_of_another_procedure_is_reported(jintan: Path) -> None:
    edit(jintan, "    recommendation: rectification_measures\n", "    recommendation: conduct_measures\n")
    assert messages() == [
        "workflows/inspection_rectification/recommendation: decision 'conduct_measures' belongs to procedure 'conduct'"
    ]


def test_a_workflow_for_an_unknown_procedure_is_reported(jintan: Path) -> None:
    edit(jintan, "  inspection_rectification:\n    routing:", "  rectification:\n    routing:")
    found = messages()
    assert "workflows/rectification: unknown procedure 'rectification'" in found
    assert "workflows/rectification: no intake source leads to this procedure" in found
    # The rectification sources now lead nowhere.
    assert any(
        "'inspected_organisation' leads to 'inspection_rectification', which binds no workflow" in m for m in found
    )


def test_a_workflow_no_source_reaches_is_reported(jintan: Path) -> None:
    for code in (
        "inspected_organisation",
        "discipline_commission",
        "organisation_department",
        "functional_department",
        "inspection_group_clue",
        "inspection_office_transfer",
    ):
        text = (jintan / "pack.yaml").read_text(encoding="utf-8")
        line = next(ln for ln in text.splitlines() if ln.startswith(f"  - {{code: {code},"))
        edit(jintan, line, line.replace("procedure: inspection_rectification", "procedure: conduct"))
    assert messages() == ["workflows/inspection_rectification: no intake source leads to this procedure"]


def test_with_several_workflows_every_source_names_its_procedure(jintan: Path) -> None:
    edit(
        jintan,
        ", cite: 坛作组办〔2019〕2号 第十二条（三）, procedure: conduct}",
        ", cite: 坛作组办〔2019〕2号 第十二条（三）}",
    )
    assert messages() == [
        "intake_sources/2: source 'public_complaint' names no procedure, and the pack binds several workflows"
    ]


def test_a_selecting_decision_chooses_and_cites(jintan: Path) -> None:
    (jintan / "decisions" / "procedure_choice.yaml").write_text(SELECTION, encoding="utf-8")
    edit(jintan, "workflows:\n", "procedure_selection: procedure_choice\n\nworkflows:\n")
    assert messages() == []
    pack = get_pack("jintan")
    choice = pack.select_procedure({"source": "inspection_office_transfer"}, ON)
    assert choice.procedure == "inspection_rectification"
    assert [c.text for c in choice.citations] == ["坛办发〔2023〕29号 第七条"]
    # A fact beyond the source refines the choice.
    refined = pack.select_procedure({"source": "inspection_office_transfer", "concerns_rectification": False}, ON)
    assert refined.procedure == "conduct"


def test_a_selecting_decision_must_cover_every_intake_source(jintan: Path) -> None:
    (jintan / "decisions" / "procedure_choice.yaml").write_text(
        SELECTION.replace(", inspection_office_transfer]", "]"), encoding="utf-8"
    )
    edit(jintan, "workflows:\n", "procedure_selection: procedure_choice\n\nworkflows:\n")
    (found,) = messages()
    assert found.startswith(
        "intake_sources/12: source 'inspection_office_transfer' gets no procedure from 'procedure_choice'"
    )


def test_a_selecting_decision_outputs_a_procedure(jintan: Path) -> None:
    (jintan / "decisions" / "procedure_choice.yaml").write_text(
        SELECTION.replace("procedure: {type: code, vocab: procedures}", "procedure: {type: code, vocab: offices}"),
        encoding="utf-8",
    )
    edit(jintan, "workflows:\n", "procedure_selection: procedure_choice\n\nworkflows:\n")
    assert (
        "outputs/procedure: a procedure selection outputs 'procedure', a code of vocabulary 'procedures'" in messages()
    )
