"""A Jintan clerk's matter carried from submission to decision with the `wenze` command alone,
each step named by the matter's number (JT-2026-…), never by a UUID copied from a response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.rules import get_pack

pytestmark = pytest.mark.integration

runner = CliRunner()


def wenze(stack, user, *args: str) -> dict | list:
    """Run one command as ``user`` with --json and return what it printed."""
    env = {
        "WENZE_TOKEN": user.clients["intake"].headers["Authorization"].removeprefix("Bearer "),
        "WENZE_INTAKE_URL": stack["intake"].url,
        "WENZE_REVIEW_URL": stack["review"].url,
        "COLUMNS": "200",
    }
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout)


def test_a_clerks_matter_goes_to_a_decision_by_its_number(stack, tenant_for, tmp_path: Path) -> None:
    jt = tenant_for("wenze-jintan")
    office, unit = jt.user("jt-conduct-office"), jt.user("jt-unit-education")
    matter_file = tmp_path / "matter.json"
    matter_file.write_text(
        json.dumps(
            {
                "source": "public_complaint",
                "source_reference": "金坛12345-2026-0871",
                "summary": "群众办件逾期未办结",
                "facts": "某科员无正当理由逾期办理群众事项两周。",
                "targets": [
                    {
                        "kind": "person",
                        "name": "王小明",
                        "post": "科员",
                        "unit": "区教育局",
                        "cadre_level": "staff",
                        "sector": "administrative_organ",
                        "party_member": True,
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    number = wenze(stack, office, "submit", str(matter_file))["number"]
    today = get_pack("jintan").today().isoformat()
    accepted = wenze(
        stack,
        office,
        "accept",
        number,
        "--outcome",
        "accepted",
        "-p",
        "室主任",
        "-p",
        "分管副主任",
        "--study-date",
        today,
    )
    assert accepted["number"] == number and accepted["state"] == "accepted"
    assert wenze(stack, office, "show", number)["id"] == accepted["id"]

    slip = jt.routed_slip(accepted["id"], "jt-conduct-office")
    jt.case(slip["id"], "jt-conduct-office")
    wenze(stack, jt.user("jt-group-deputy"), "approve", number)

    queue = wenze(stack, unit, "tasks")
    assert [(t["kind"], t["matter_number"]) for t in queue if t["matter_id"] == accepted["id"]] == [
        ("investigation", number)
    ]
    wenze(stack, unit, "findings", number, "--findings", "无正当理由逾期办理群众事项。", "--evidence", "办件记录")

    recommendation = tmp_path / "recommendation.json"
    recommendation.write_text(
        json.dumps(
            {
                "statement": "作风不实，造成不良影响",
                "legal_basis": "坛作组办〔2019〕2号",
                "severity": "ordinary",
                "circumstances": ["overdue_without_reason"],
                "proposed_measures": ["admonishment"],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    wenze(stack, unit, "recommend", number, str(recommendation))
    hearing = tmp_path / "hearing.json"
    hearing.write_text(
        json.dumps(
            {"held_on": today, "arguments": [{"argument": "工作量大", "accepted": False, "reason": "不构成免责理由"}]},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    wenze(stack, unit, "hear", number, str(hearing))
    wenze(stack, office, "approve", number)

    decision = tmp_path / "decision.json"
    decision.write_text(
        json.dumps(
            {
                "decided_on": today,
                "announced_on": today,
                "simplified": False,
                "facts_clear": True,
                "measures": [{"target_index": 0, "measures": ["admonishment"]}],
            }
        ),
        encoding="utf-8",
    )
    decided = wenze(stack, unit, "decide", number, str(decision))
    assert decided["decision"]["number"].startswith("JT-JD-")
    assert not [t for t in wenze(stack, unit, "tasks") if t["matter_id"] == accepted["id"]]


def test_a_step_with_no_task_of_the_callers_office_says_so(stack, tenant_for) -> None:
    jt = tenant_for("wenze-jintan")
    user = jt.user("jt-unit-education")
    env = {
        "WENZE_TOKEN": user.clients["intake"].headers["Authorization"].removeprefix("Bearer "),
        "WENZE_INTAKE_URL": stack["intake"].url,
        "WENZE_REVIEW_URL": stack["review"].url,
        "COLUMNS": "200",
    }
    result = runner.invoke(app, ["decide", "JT-2026-99999", "-"], input="{}", env=env)
    assert result.exit_code == 2
    assert result.output.count("no open decision task for JT-2026-99999") == 1
