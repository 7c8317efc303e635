"""``wenze submit | import | list | show | accept`` through Typer's CliRunner against a fake intake.

The fake is an ``httpx.MockTransport``: no sockets, but the real client code builds the
requests, so the tests see exactly what would go over the wire.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from wenze.cli import executions, matters
from wenze.cli.client import ExecutionClient, IntakeClient
from wenze.cli.main import app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}

MATTER: dict[str, Any] = {
    "id": "5b1d6c2e-0000-4000-8000-000000000001",
    "tenant": "kunshan",
    "number": "KS-2026-00007",
    "state": "received",
    "source": "city_government",
    "source_reference": "昆政办函〔2026〕12号",
    "summary": "城市更新项目推进不力",
    "facts": "审批拖延停滞两个月",
    "proposed_form": "form_2",
    "key_supervised": False,
    "relevant_date": "2026-11-22",
    "received_at": "2026-11-22T02:00:00Z",
    "submitted_by": "ks-intake",
    "duplicate_of": None,
    "duplicate_override_reason": None,
    "acceptance": None,
    "targets": [
        {
            "kind": "person",
            "name": "张明",
            "post": "副局长",
            "unit": None,
            "cadre_level": "city_managed",
            "sector": "city_department",
            "party_member": True,
            "org_level": None,
        }
    ],
    "attachments": [],
}

Handler = Callable[[httpx.Request], httpx.Response]


class FakeIntake:
    """Routes (method, path) to handlers; a list of handlers answers in turn, the last one repeating."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], list[Handler]] = {}

    def route(self, method: str, path: str, *handlers: Handler) -> None:
        self.routes[(method, path)] = list(handlers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handlers = self.routes.get((request.method, request.url.path))
        if not handlers:
            return httpx.Response(
                404, json={"type": "https://wenze.dev/problems/not-found", "title": "Not found", "status": 404}
            )
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return handler(request)


@pytest.fixture
def intake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeIntake]:
    fake = FakeIntake()

    def fake_open_client(url: str | None) -> IntakeClient:
        return IntakeClient(matters.resolve_url(url), "test-token", transport=httpx.MockTransport(fake))

    monkeypatch.setattr(matters, "open_client", fake_open_client)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("WENZE_INTAKE_URL", raising=False)
    yield fake


@pytest.fixture
def execution(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIntake]:
    """Sanction-execution, faked the same way."""
    fake = FakeIntake()

    def fake_open(url: str) -> ExecutionClient:
        return ExecutionClient(url, "test-token", transport=httpx.MockTransport(fake))

    monkeypatch.setattr(executions, "open_execution_client", fake_open)
    monkeypatch.delenv("WENZE_EXECUTION_URL", raising=False)
    yield fake


def _matter_file(tmp_path: Path, body: Any) -> str:
    path = tmp_path / "matter.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_submit_posts_the_file_with_the_idempotency_key(intake, tmp_path: Path) -> None:
    intake.route("POST", "/v1/matters", lambda r: httpx.Response(201, json=MATTER))
    body = {"source": "city_government", "summary": "城市更新项目推进不力"}
    result = runner.invoke(
        app,
        ["submit", _matter_file(tmp_path, body), "--idempotency-key", "k-1", "--url", "http://intake.test:9"],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "Registered KS-2026-00007" in result.output
    request = intake.requests[0]
    assert str(request.url) == "http://intake.test:9/v1/matters"
    assert request.headers["Idempotency-Key"] == "k-1"
    assert request.headers["Authorization"] == "Bearer test-token"
    assert json.loads(request.content) == body


def test_submit_json_reads_stdin_and_prints_only_the_matter(intake) -> None:
    intake.route(
        "POST", "/v1/matters", lambda r: httpx.Response(201, json=MATTER, headers={"Idempotency-Replayed": "true"})
    )
    result = runner.invoke(app, ["submit", "-", "--json"], input='{"source": "x"}')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == MATTER
    assert str(intake.requests[0].url).startswith("http://127.0.0.1:8001/")


def test_submit_not_json_is_a_usage_error(intake, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["submit", str(path)], env=WIDE)
    assert result.exit_code == 2
    assert "is not JSON" in result.output and "line 1" in result.output
    assert intake.requests == []


def test_submit_missing_file(intake, tmp_path: Path) -> None:
    result = runner.invoke(app, ["submit", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


PROBLEM = {
    "type": "https://wenze.dev/problems/validation-failed",
    "title": "Request is not valid",
    "status": 422,
    "detail": "body.targets.0.cadre_level: not in the tenant's vocabulary",
    "instance": "/v1/matters",
    "errors": [
        {"field": "body.targets.0.cadre_level", "reason": "not in the tenant's vocabulary"},
        {"field": "body.source", "reason": "unknown source"},
    ],
}


def test_problem_is_shown_with_title_detail_and_each_field(intake, tmp_path: Path) -> None:
    intake.route(
        "POST",
        "/v1/matters",
        lambda r: httpx.Response(422, json=PROBLEM, headers={"Content-Type": "application/problem+json"}),
    )
    result = runner.invoke(app, ["submit", _matter_file(tmp_path, {"source": "x"})], env=WIDE)
    assert result.exit_code == 1
    assert result.stdout == ""
    err = result.stderr
    assert "Error 422: Request is not valid" in err
    assert "not in the tenant's vocabulary" in err
    assert "body.targets.0.cadre_level: not in the tenant's vocabulary" in err
    assert "body.source: unknown source" in err
    assert err.count("not in the tenant's vocabulary") == 1, "each field's reason is said once"


def test_problem_with_json_goes_to_stderr_as_the_problem_document(intake, tmp_path: Path) -> None:
    problem = {
        "type": "https://wenze.dev/problems/duplicate-matter",
        "title": "Matter already registered",
        "status": 409,
        "existing_matter_id": "abc",
    }
    intake.route("POST", "/v1/matters", lambda r: httpx.Response(409, json=problem))
    result = runner.invoke(app, ["submit", _matter_file(tmp_path, {"source": "x"}), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(result.stderr) == problem


def test_extension_members_are_shown(intake, tmp_path: Path) -> None:
    problem = {"title": "Matter already registered", "status": 409, "existing_matter_id": "abc-123"}
    intake.route("POST", "/v1/matters", lambda r: httpx.Response(409, json=problem))
    result = runner.invoke(app, ["submit", _matter_file(tmp_path, {})], env=WIDE)
    assert result.exit_code == 1
    assert "existing_matter_id: abc-123" in result.stderr


def test_an_error_that_is_not_a_problem_document(intake, tmp_path: Path) -> None:
    intake.route("POST", "/v1/matters", lambda r: httpx.Response(502, text="upstream went away"))
    result = runner.invoke(app, ["submit", _matter_file(tmp_path, {})], env=WIDE)
    assert result.exit_code == 1
    assert "Error 502: Bad Gateway" in result.stderr and "upstream went away" in result.stderr


def test_unreachable_intake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(
        matters,
        "open_client",
        lambda url: IntakeClient("http://127.0.0.1:1", None, transport=httpx.MockTransport(refuse)),
    )
    result = runner.invoke(app, ["show", "x"], env=WIDE)
    assert result.exit_code == 4
    assert "cannot reach http://127.0.0.1:1" in result.stderr
    as_json = runner.invoke(app, ["show", "x", "--json"])
    assert as_json.exit_code == 4
    assert json.loads(as_json.stderr)["error"] == "unreachable"


def test_not_logged_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("WENZE_TOKEN", raising=False)
    result = runner.invoke(app, ["list"], env=WIDE)
    assert result.exit_code == 3
    assert "not logged in" in result.stderr


def test_list_passes_filters_and_follows_cursors(intake) -> None:
    first = {"items": [MATTER], "next_cursor": "c2"}
    second = {"items": [{**MATTER, "id": "second", "number": "KS-2026-00006"}], "next_cursor": None}
    intake.route(
        "GET", "/v1/matters", lambda r: httpx.Response(200, json=first), lambda r: httpx.Response(200, json=second)
    )
    result = runner.invoke(
        app,
        [
            "list",
            "--state",
            "received",
            "--source",
            "city_government",
            "--received-from",
            "2026-01-01",
            "--received-to",
            "2026-12-31",
            "--target-name",
            "张明",
            "--cadre-level",
            "city_managed",
            "--q",
            "城市",
            "--limit",
            "1",
            "--all",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["number"] for m in data["items"]] == ["KS-2026-00007", "KS-2026-00006"]
    assert data["next_cursor"] is None
    params = dict(intake.requests[0].url.params)
    assert params == {
        "state": "received",
        "source": "city_government",
        "received_from": "2026-01-01",
        "received_to": "2026-12-31",
        "target_name": "张明",
        "cadre_level": "city_managed",
        "q": "城市",
        "limit": "1",
    }
    assert intake.requests[1].url.params["cursor"] == "c2"


def test_list_fits_80_columns_with_whole_numbers_labels_and_the_next_cursor(intake) -> None:
    long_summary = {**MATTER, "number": "KS-2026-100007", "summary": "城市更新项目推进不力" * 6}
    intake.route(
        "GET", "/v1/matters", lambda r: httpx.Response(200, json={"items": [MATTER, long_summary], "next_cursor": "c2"})
    )
    result = runner.invoke(app, ["list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    # One line per matter: the number whole (it is what `show` takes), the summary cut short.
    rows = [line for line in lines if "KS-2026-" in line]
    assert len(rows) == 2 and "KS-2026-100007" in rows[1]
    assert "市政府及" in rows[0], "the intake source is shown by its label, not its code"
    assert rows[1].rstrip().endswith("…"), "a long summary is cut short, visibly"
    assert "city_government" not in result.output
    assert "--cursor c2" in result.output
    assert len(intake.requests) == 1


def test_list_rejects_an_unknown_state(intake) -> None:
    result = runner.invoke(app, ["list", "--state", "closed"])
    assert result.exit_code == 2
    assert intake.requests == []


def test_show_json_includes_the_timeline(intake, execution) -> None:
    timeline = [
        {"at": "2026-11-22T02:00:00Z", "actor": "ks-intake", "action": "received", "state": "received", "detail": {}}
    ]
    intake.route("GET", f"/v1/matters/{MATTER['id']}", lambda r: httpx.Response(200, json=MATTER))
    intake.route("GET", f"/v1/matters/{MATTER['id']}/timeline", lambda r: httpx.Response(200, json=timeline))
    execution.route("GET", "/v1/executions", lambda r: httpx.Response(200, json=[]))
    result = runner.invoke(app, ["show", MATTER["id"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {**MATTER, "timeline": timeline, "executions": []}
    assert execution.requests[0].url.params["matter_id"] == MATTER["id"]
    table = runner.invoke(app, ["show", MATTER["id"]], env=WIDE)
    assert table.exit_code == 0, table.output
    # Codes in the tenant pack's words.
    for text in (
        "KS-2026-00007",
        "城市更新项目推进不力",
        "timeline",
        "ks-intake",
        "市管干部",
        "市政府及有关职能部门移送",
    ):
        assert text in table.output
    for code in ("city_managed", "city_government", "form_2", "city_department"):
        assert code not in table.output, code


def test_accept_sends_the_collective_study(intake) -> None:
    accepted = {**MATTER, "state": "accepted"}
    intake.route("POST", f"/v1/matters/{MATTER['id']}/acceptance", lambda r: httpx.Response(200, json=accepted))
    result = runner.invoke(
        app,
        [
            "accept",
            MATTER["id"],
            "--outcome",
            "transferred",
            "-p",
            "周敏",
            "--participant",
            "陈立",
            "--study-date",
            "2026-11-20",
            "--reason",
            "不属本级管辖",
            "--transferred-to",
            "苏州市纪委监委",
        ],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "accepted" in result.output
    assert json.loads(intake.requests[0].content) == {
        "outcome": "transferred",
        "participants": ["周敏", "陈立"],
        "study_date": "2026-11-20",
        "reason": "不属本级管辖",
        "transferred_to": "苏州市纪委监委",
    }


@pytest.mark.parametrize(
    "args",
    [
        ["--outcome", "accepted", "--study-date", "2026-11-20"],  # no participant
        ["--outcome", "maybe", "-p", "周敏", "--study-date", "2026-11-20"],  # unknown outcome
        ["--outcome", "accepted", "-p", "周敏", "--study-date", "20.11.2026"],  # not ISO
    ],
)
def test_accept_argument_errors(intake, args: list[str]) -> None:
    result = runner.invoke(app, ["accept", "id-1", *args])
    assert result.exit_code == 2
    assert intake.requests == []


def _job(**extra: Any) -> dict[str, Any]:
    job = {
        "id": "job-1",
        "state": "queued",
        "format": "jsonl",
        "filename": "clues.jsonl",
        "file_bytes": 120,
        "total_rows": None,
        "processed_rows": 0,
        "registered": 0,
        "refused": 0,
        "created_by": "ks-intake",
        "created_at": "2026-11-22T02:00:00Z",
        "started_at": None,
        "finished_at": None,
        "failure": None,
    }
    job.update(extra)
    return job


def test_import_uploads_polls_and_summarises(intake, tmp_path: Path) -> None:
    path = tmp_path / "clues.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n', encoding="utf-8")
    done = _job(
        state="completed",
        total_rows=3,
        processed_rows=3,
        registered=2,
        refused=1,
        started_at="2026-11-22T02:00:00Z",
        finished_at="2026-11-22T02:00:02Z",
    )
    intake.route("POST", "/v1/matter-imports", lambda r: httpx.Response(202, json=_job()))
    intake.route(
        "GET",
        "/v1/matter-imports/job-1",
        lambda r: httpx.Response(200, json=_job(state="running", total_rows=3, processed_rows=1, registered=1)),
        lambda r: httpx.Response(200, json=done),
    )
    errors = {
        "items": [
            {"row": 2, "errors": [{"field": "targets.0.cadre_level", "reason": "unknown cadre level"}]},
            {
                "row": 3,
                "errors": [
                    {"field": "source_reference", "reason": "repeats row 1 of this file", "existing_matter_id": "m-1"}
                ],
            },
        ],
        "next_after": None,
    }
    intake.route("GET", "/v1/matter-imports/job-1/errors", lambda r: httpx.Response(200, json=errors))
    result = runner.invoke(app, ["import", str(path), "--interval", "0.05"], env=WIDE)
    assert result.exit_code == 0, result.output
    upload = intake.requests[0]
    assert upload.headers["Content-Type"] == "application/x-ndjson"
    assert upload.headers["X-Filename"] == "clues.jsonl"
    assert upload.content == path.read_bytes()
    for text in ("completed", "3 of 3", "registered", "refused rows", "targets.0.cadre_level", "unknown cadre level"):
        assert text in result.output
    # The progress bar counts rows done of the total the job reports.
    assert "3/3" in result.output
    assert "repeats row 1 of this file (matter m-1)" in result.output


def test_import_json_output(intake, tmp_path: Path) -> None:
    path = tmp_path / "线索.csv"
    path.write_text("source,summary\n", encoding="utf-8")
    done = _job(state="completed", format="csv", total_rows=0)
    intake.route("POST", "/v1/matter-imports", lambda r: httpx.Response(202, json=_job(format="csv")))
    intake.route("GET", "/v1/matter-imports/job-1", lambda r: httpx.Response(200, json=done))
    result = runner.invoke(app, ["import", str(path), "--interval", "0.05", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"job": done, "row_errors": []}
    assert intake.requests[0].headers["Content-Type"] == "text/csv"
    # Header values travel as ASCII; the Chinese name is percent-encoded.
    assert intake.requests[0].headers["X-Filename"] == "%E7%BA%BF%E7%B4%A2.csv"


def test_import_failed_job_exits_nonzero(intake, tmp_path: Path) -> None:
    path = tmp_path / "clues.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    intake.route(
        "POST",
        "/v1/matter-imports",
        lambda r: httpx.Response(202, json=_job(format="xlsx", state="failed", failure="not an XLSX workbook")),
    )
    result = runner.invoke(app, ["import", str(path)], env=WIDE)
    assert result.exit_code == 1
    assert "not an XLSX workbook" in result.output
    assert intake.requests[0].headers["Content-Type"].endswith("spreadsheetml.sheet")


def test_import_refuses_an_unknown_suffix(intake, tmp_path: Path) -> None:
    path = tmp_path / "clues.txt"
    path.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    assert "unknown format" in result.output
    assert intake.requests == []


JT_MATTER = {**MATTER, "tenant": "jintan", "number": "JT-2026-00003", "state": "accepted", "source": "public_complaint"}
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
    "matter_id": MATTER["id"],
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


def _jintan_matter(intake: FakeIntake) -> None:
    intake.route("GET", f"/v1/matters/{MATTER['id']}", lambda r: httpx.Response(200, json=JT_MATTER))
    intake.route("GET", f"/v1/matters/{MATTER['id']}/timeline", lambda r: httpx.Response(200, json=[]))


def test_show_prints_the_executions_in_the_packs_words_within_80_columns(intake, execution) -> None:
    _jintan_matter(intake)
    execution.route("GET", "/v1/executions", lambda r: httpx.Response(200, json=[ADMONISHMENT]))
    result = runner.invoke(
        app, ["show", MATTER["id"], "--execution-url", "http://execution.test:9"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    assert str(execution.requests[0].url).startswith("http://execution.test:9/v1/executions?")
    assert max(cell_len(line) for line in result.output.splitlines()) <= 80
    flat = "".join(line.strip(" │├└─") for line in result.output.splitlines())
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
        assert code not in result.output, code
    # Once for the execution, once for its deadline; the bar on promotion rests on no point.
    assert flat.count("解释要点 completion_month_rest_day") == 2


def test_show_json_has_the_executions_as_sanction_execution_answers_them(intake, execution) -> None:
    _jintan_matter(intake)
    execution.route("GET", "/v1/executions", lambda r: httpx.Response(200, json=[ADMONISHMENT]))
    result = runner.invoke(app, ["show", MATTER["id"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["executions"] == [ADMONISHMENT]
    assert str(execution.requests[0].url).startswith("http://127.0.0.1:8004/")


def test_show_without_a_decision_says_so_in_a_line(intake, execution) -> None:
    _jintan_matter(intake)
    execution.route("GET", "/v1/executions", lambda r: httpx.Response(200, json=[]))
    result = runner.invoke(app, ["show", MATTER["id"]], env=WIDE)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-1].startswith("executions (执行): none yet")


def test_show_still_shows_the_matter_when_executions_cannot_be_read(intake, execution) -> None:
    _jintan_matter(intake)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    execution.route("GET", "/v1/executions", refuse)
    result = runner.invoke(app, ["show", MATTER["id"]], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "JT-2026-00003" in result.output
    (line,) = [line for line in result.output.splitlines() if "executions" in line]
    assert line == "executions (执行) could not be read: cannot reach http://127.0.0.1:8004: connection refused"
    as_json = json.loads(runner.invoke(app, ["show", MATTER["id"], "--json"]).stdout)
    assert as_json["number"] == "JT-2026-00003" and as_json["executions"] is None
    assert as_json["executions_unavailable"].startswith("cannot reach http://127.0.0.1:8004")

    # Refused (the office may not read them), or not configured at all: the same, with its reason.
    execution.route("GET", "/v1/executions", lambda r: httpx.Response(403, json={"title": "Forbidden", "status": 403}))
    refused = runner.invoke(app, ["show", MATTER["id"]], env=WIDE)
    assert refused.exit_code == 0 and "executions (执行) could not be read: 403 Forbidden" in refused.output
    requests = len(execution.requests)
    unset = runner.invoke(app, ["show", MATTER["id"], "--execution-url", ""], env=WIDE)
    assert unset.exit_code == 0
    assert "executions (执行) could not be read: no sanction-execution URL given" in unset.output
    assert len(execution.requests) == requests
