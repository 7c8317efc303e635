"""What the ``wenze`` commands do before any request (arguments and files refused as usage
errors, no session), and how ``wenze show`` prints a matter's executions.

Each command's requests and what it prints of the answers are tested against the real
services: ``services/intake/tests/integration/test_cli.py`` and ``test_cli_output.py``, and
``e2e-tests/test_cli_work_queue.py`` for the executions.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from wenze.cli.executions import executions_view
from wenze.cli.main import app
from wenze.cli.matters import _detail_text

runner = CliRunner()
# A port nothing listens on: a command that tried a request would exit 4 (unreachable), not 2.
NOWHERE = {"WENZE_INTAKE_URL": "http://127.0.0.1:1", "WENZE_TOKEN": "a-token", "COLUMNS": "200"}


def test_submit_not_json_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["submit", str(path)], env=NOWHERE)
    assert result.exit_code == 2
    assert "is not JSON" in result.output and "line 1" in result.output


def test_submit_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["submit", str(tmp_path / "absent.json")], env=NOWHERE)
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_not_logged_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("WENZE_TOKEN", raising=False)
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 3
    assert "not logged in" in result.stderr


def test_list_rejects_an_unknown_state() -> None:
    result = runner.invoke(app, ["list", "--state", "closed"], env=NOWHERE)
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--outcome", "accepted", "--study-date", "2026-11-20"],  # no participant
        ["--outcome", "maybe", "-p", "周敏", "--study-date", "2026-11-20"],  # unknown outcome
        ["--outcome", "accepted", "-p", "周敏", "--study-date", "20.11.2026"],  # not ISO
    ],
)
def test_accept_argument_errors(args: list[str]) -> None:
    result = runner.invoke(app, ["accept", "id-1", *args], env=NOWHERE)
    assert result.exit_code == 2


def test_import_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "clues.txt"
    path.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)], env=NOWHERE)
    assert result.exit_code == 2
    assert "unknown format" in result.output


REST_DAY = {
    "point": "completion_month_rest_day",
    "question": "（存储时的问题）",
    "reading": "calendar_month",
    "label": "（存储时的标签）",
    "parameters": {"month_moves_off_rest_day": False},
    "default": True,
    "citations": [{"document": "坛作组办〔2019〕2号", "article": "第十九条第一款"}],
}
ADMONISHMENT = {
    "id": "e1",
    "decision_id": "d1",
    "decision_number": "JT-JD-2026-00001",
    "matter_id": "5b1d6c2e-0000-4000-8000-000000000001",
    "matter_number": "JT-2026-00003",
    "person_id": "p1",
    "target": {"kind": "person", "name": "王小明", "unit": "区教育局", "post": "科员"},
    "measure": "admonishment",
    "office": "competent_unit",
    "decided_on": "2026-12-04",
    "announced_on": "2026-12-04",
    "state": "open",
    "citations": ["坛作组办〔2019〕2号 第十七条", "坛作组办〔2019〕2号 第十九条第一款"],
    "interpretations": [REST_DAY],
    "steps": [
        {
            "code": "announce_decision",
            "position": 1,
            "action": "以书面形式作出的问责决定及时向被问责人宣布",
            "actor": "competent_unit",
            "joined_by": [],
            "state": "done",
            "completed_on": "2026-12-04",
            "completed_by": "jt-unit-education",
            "completed_office": "competent_unit",
            "note": None,
            "numbering": None,
            "document_number": None,
            "citations": ["坛作组办〔2019〕2号 第十七条"],
        },
        {
            "code": "party_meeting_self_examination",
            "position": 2,
            "action": "在民主生活会或其他党的会议上作出深刻检查，检查情况报问责决定机关",
            "actor": "party_meeting",
            "joined_by": ["competent_unit"],
            "state": "pending",
            "completed_on": None,
            "completed_by": None,
            "completed_office": None,
            "note": None,
            "numbering": None,
            "document_number": None,
            "citations": ["坛作组办〔2019〕2号 第十八条"],
        },
    ],
    "deadlines": [
        {
            "id": "dl1",
            "execution_id": "e1",
            "matter_number": "JT-2026-00003",
            "office": "competent_unit",
            "duty": "formalities",
            "label": "问责决定后续手续办结期限",
            "due_on": "2027-01-04",
            "remind_on": "2026-12-30",
            "state": "pending",
            "met_on": None,
            "citations": ["坛作组办〔2019〕2号 第十九条第一款"],
            "interpretations": [REST_DAY],
            "light": "yellow",
            "days_left": 3,
        }
    ],
    "after_effects": [
        {
            "purpose": "promotion",
            "starts_on": "2026-12-04",
            "until": "2027-06-04",
            "period_set_by": None,
            "state": "active",
            "rule": "admonishment_six_months",
            "description": "受到诫勉的，六个月内不得提拔或重用。",
            "citations": ["坛作组办〔2019〕2号 第十九条第二款"],
            "interpretations": [],
        }
    ],
}


def _printed(renderable: Any, width: int) -> str:
    """What a terminal ``width`` columns wide shows of ``renderable``, without colours."""
    printed = io.StringIO()
    Console(width=width, file=printed, color_system=None).print(renderable)
    return printed.getvalue()


def test_executions_in_the_packs_words_within_80_columns() -> None:
    printed = _printed(executions_view("jintan", [ADMONISHMENT]), 80)
    assert max(cell_len(line) for line in printed.splitlines()) <= 80
    flat = "".join(line.strip(" │├└─") for line in printed.splitlines())
    for text in (
        "王小明（区教育局 科员）",
        "诫勉",
        "执行中",
        "JT-JD-2026-00001",
        "由主管部门或所在单位（党组织）执行",
        "1、以书面形式作出的问责决定及时向被问责人宣布",
        "已完成 2026-12-04",
        "民主生活会或者其他党的会议",
        "待办",
        "问责决定后续手续办结期限：2027-01-04 前",
        "未到期",
        "●临期，还有 3 天",
        "不得提拔，2027-06-04 起解除",
        "依据 坛作组办〔2019〕2号 第十九条第二款",
        # The reading applied, by the point's id, in the pack's words now rather than as stored.
        "解释要点 completion_month_rest_day第十九条第一款规定决定作出后一个月内办结相关手续。",
        "按“按自然月计算，不因休息日顺延”（规则包默认解读）依据 坛作组办〔2019〕2号 第十九条第一款",
    ):
        assert text in flat, text
    for code in ("admonishment", "competent_unit", "party_meeting", "calendar_month", "pending", "yellow", "（存储时"):
        assert code not in printed, code
    # Once for the execution, once for its deadline; the bar on promotion rests on no point.
    assert flat.count("解释要点 completion_month_rest_day") == 2


def test_a_matter_without_executions_says_so_in_a_line() -> None:
    printed = _printed(executions_view("jintan", []), 200)
    assert printed.strip().splitlines() == [
        "executions (执行): none yet (no decision, or sanction-execution has not taken it up)"
    ]


def test_a_timeline_entrys_detail_reads_as_pairs_with_codes_in_the_packs_words() -> None:
    detail = {"source": "city_government", "participants": ["周敏", "陈立"], "fired": {"rule": ["r1"]}, "reason": None}
    assert _detail_text({"tenant": "kunshan"}, detail) == (
        'source: 市政府及有关职能部门移送; participants: 周敏、陈立; fired: {"rule": ["r1"]}; reason: null'
    )
