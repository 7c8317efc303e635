"""A Jintan clerk's matter carried from submission to decision with the `wenze` command alone,
each step named by the matter's number (JT-2026-…), never by a UUID copied from a response;
then `wenze show` prints what sanction-execution did after the decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.rules import get_pack

pytestmark = pytest.mark.integration

runner = CliRunner()


def _env(stack, user, columns: int = 200) -> dict[str, str]:
    return {
        "WENZE_TOKEN": user.clients["intake"].headers["Authorization"].removeprefix("Bearer "),
        "WENZE_INTAKE_URL": stack["intake"].url,
        "WENZE_REVIEW_URL": stack["review"].url,
        "WENZE_EXECUTION_URL": stack["sanction-execution"].url,
        "COLUMNS": str(columns),
    }


def wenze(stack, user, *args: str) -> dict | list:
    """Run one command as ``user`` with --json and return what it printed."""
    result = runner.invoke(app, [*args, "--json"], env=_env(stack, user))
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

    # What sanction-execution did after the decision, as `wenze show` prints it in 80 columns:
    # the execution in the pack's words, its deadline with its light and article, the reading
    # its month was read under with the point's id (ADR 0043), and the bar on promotion.
    (execution,) = jt.executions(decided["decision"]["id"], "jt-conduct-office")
    assert wenze(stack, office, "show", number)["executions"] == [execution]
    result = runner.invoke(app, ["show", number], env=_env(stack, office, columns=80))
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.output.splitlines()) <= 80
    flat = "".join(line.strip(" │├└─") for line in result.output.splitlines())
    pack = get_pack("jintan")
    (deadline,) = execution["deadlines"]
    (promotion,) = [a for a in execution["after_effects"] if a["purpose"] == "promotion"]
    rest_day = pack.point("completion_month_rest_day")
    for text in (
        f"王小明（区教育局 科员） · {pack.label('measures', 'admonishment')} · 执行中",
        decided["decision"]["number"],
        f"{deadline['label']}：{deadline['due_on']} 前",
        {"green": "●正常", "yellow": "●临期", "red": "●逾期"}[deadline["light"]],
        "依据 坛作组办〔2019〕2号 第十九条第一款",
        f"解释要点 {rest_day.id}",
        f"按“{rest_day.reading(rest_day.default).label}”（规则包默认解读）",
        f"不得提拔，{promotion['until']} 起解除",
        "依据 坛作组办〔2019〕2号 第十九条第二款",
    ):
        assert text in flat, (text, result.output)
    assert "admonishment" not in result.output and "calendar_month" not in result.output


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
