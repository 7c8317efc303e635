"""Imports of hostile or broken files: refused at upload where that can be known, otherwise
failed or refused row by row in the worker's job process, in the words of the file's maker;
the API only queues, and a job that exhausts its process fails alone."""

from __future__ import annotations

import asyncio
import io
import json
import re
import struct
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import nats
import pytest
from openpyxl import Workbook

from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, service_env

pytestmark = pytest.mark.integration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["source", "source_reference", "summary", "facts", "target_kind", "target_name", "target_cadre_level"]
LEAKS = ("Error", "Exception", "Traceback", "BadZipFile", "codec", "errno", "line 1 column")


def assert_users_terms(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, text


def flat(marker: str, i: int) -> list[str]:
    return ["city_government", f"REF-{marker}-{i}", f"安全{marker}-{i}", "事实", "person", f"赵{i}", "city_managed"]


def workbook_bytes(rows: list[list], edit_sheet: Callable[[str], str] | None = None) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if edit_sheet is None:
        return buffer.getvalue()
    with zipfile.ZipFile(buffer) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[SHEET] = edit_sheet(parts[SHEET].decode()).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def with_inline_cell(chars: int) -> Callable[[str], str]:
    """A row whose one cell holds ``chars`` characters (openpyxl cuts strings it writes)."""

    def edit(xml: str) -> str:
        cell = '<row r="2"><c r="C2" t="inlineStr"><is><t>' + "x" * chars + "</t></is></c></row>"
        return xml.replace("</sheetData>", cell + "</sheetData>")

    return edit


def post(client: httpx.Client, content: bytes, content_type: str) -> httpx.Response:
    return client.post("/v1/matter-imports", content=content, headers={"Content-Type": content_type})


def errors_of(client: httpx.Client, job_id: str) -> dict[int, list[dict]]:
    return {e["row"]: e["errors"] for e in client.get(f"/v1/matter-imports/{job_id}/errors").json()["items"]}


# -- stacks of their own ------------------------------------------------------------------------


class OwnStack:
    """Intake's API (and worker, when started) on a database of its own, with its own settings."""

    def __init__(self, stack: ExitStack, env: dict[str, str], log_dir: Path):
        self.stack, self.env, self.log_dir = stack, env, log_dir
        self.api = ServiceProcess(service="intake", role="api", env=env, log_path=log_dir / "intake-api.log")
        stack.callback(self.api.stop)
        self.api.start()
        self.worker: ServiceProcess | None = None

    def start_worker(self, **settings: str) -> ServiceProcess:
        """The worker, with ``WENZE_INTAKE_*`` settings of its own on top of the stack's."""
        env = {**self.env, **{f"WENZE_INTAKE_{k.upper()}": v for k, v in settings.items()}}
        log_path = self.log_dir / f"intake-worker-{len(settings)}-{time.monotonic_ns()}.log"
        self.worker = ServiceProcess(service="intake", role="worker", env=env, log_path=log_path)
        self.stack.callback(self.worker.stop)
        return self.worker.start(wait=False)


@pytest.fixture(scope="module")
def own_stack(
    tmp_path_factory: pytest.TempPathFactory, nats_server: NatsServer, issuer_url: str
) -> Iterator[Callable[..., OwnStack]]:
    with ExitStack() as stack:

        def make(**settings: str) -> OwnStack:
            database_url = stack.enter_context(fresh_database())
            data_dir = tmp_path_factory.mktemp("own-stack")
            env = service_env(
                "intake",
                database_url=database_url,
                nats_url=nats_server.url,
                oidc_base_url=issuer_url,
                data_dir=data_dir,
                **settings,
            )
            return OwnStack(stack, env, data_dir)

        yield make


def client_of(stack: OwnStack, token: Callable[..., str]) -> httpx.Client:
    bearer = token("wenze-kunshan", "ks-intake", expires_in=3600)
    return httpx.Client(base_url=stack.api.url, timeout=60, headers={"Authorization": f"Bearer {bearer}"})


# -- the API queues, the worker runs ------------------------------------------------------------


def test_the_api_only_queues_an_import_and_the_worker_runs_it(own_stack, token, make_matter, wait_done) -> None:
    stack = own_stack()
    with client_of(stack, token) as client:
        content = "\n".join(json.dumps(make_matter(), ensure_ascii=False) for _ in range(3)).encode()
        response = post(client, content, "application/x-ndjson")
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        time.sleep(3)
        assert client.get(f"/v1/matter-imports/{job_id}").json()["state"] == "queued"
        stack.start_worker()
        job = wait_done(client, job_id)
        assert (job["state"], job["registered"], job["refused"]) == ("completed", 3, 0), job


# -- refused at upload ----------------------------------------------------------------------------


def test_a_workbook_unpacking_to_200_mb_is_refused_at_upload(ks_intake: httpx.Client) -> None:
    content = workbook_bytes([HEADER], edit_sheet=with_inline_cell(200_000_000))
    assert len(content) < 400_000
    response = post(ks_intake, content, XLSX)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/import-beyond-limits")
    assert problem["errors"] == [
        {"field": "body", "reason": "beyond the import limits", "code": "beyond_import_limits"}
    ]
    assert "unpacks to" in problem["detail"] and "134,217,728" in problem["detail"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"source,summary\ncity_government,x\n", "the file is not an XLSX workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1_000), "Excel 97–2003 (.xls) workbook; save it as .xlsx"),
        (b"PK\x03\x04" + bytes(1_000), "the workbook is damaged"),
    ],
)
def test_a_file_that_is_no_workbook_is_refused_at_upload(ks_intake: httpx.Client, content: bytes, expected: str):
    response = post(ks_intake, content, XLSX)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/import-file-unreadable")
    assert problem["errors"] == [{"field": "body", "reason": "not a readable XLSX workbook", "code": "unreadable_xlsx"}]
    assert expected in problem["detail"]
    assert_users_terms(problem["detail"])


# -- refused row by row ---------------------------------------------------------------------------


def test_csv_rows_with_a_long_value_bad_bytes_or_deep_targets_are_refused_alone(
    ks_intake: httpx.Client, wait_done
) -> None:
    marker = uuid.uuid4().hex[:8]
    lines = [",".join(HEADER).encode()] + [",".join(flat(marker, i)).encode() for i in range(6)]
    lines[2] = lines[2].replace("事实".encode(), "长".encode() * 140_000)  # row 2: beyond the csv field limit
    lines[3] = lines[3].replace(f"安全{marker}-2".encode(), b"\xe4\xb8")  # row 3: not UTF-8
    lines[0] += b",targets"
    lines[4] += b',"' + b"[" * 5_000 + b"]" * 5_000 + b'"'  # row 4: nested 5,000 deep
    job = post(ks_intake, b"\n".join(lines) + b"\n", "text/csv").json()
    job = wait_done(ks_intake, job["id"])
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 3, 3), job
    errors = errors_of(ks_intake, job["id"])
    assert errors[2] == [
        {"field": "row", "reason": "a value in this row is longer than 131,072 characters", "code": "value_too_long"}
    ]
    assert errors[3] == [{"field": "summary", "reason": "is not valid UTF-8 text", "code": "not_utf8"}]
    assert errors[4] == [
        {
            "field": "targets",
            "reason": "is not a JSON array of targets: is nested more than 1,024 levels deep",
            "code": "targets_not_a_list",
        }
    ]


def test_json_lines_with_bad_bytes_or_deep_nesting_are_refused_alone(
    ks_intake: httpx.Client, make_matter, wait_done
) -> None:
    lines = [json.dumps(make_matter(), ensure_ascii=False).encode() for _ in range(4)]
    lines[1] = lines[1].replace("城市".encode(), b"\xe5\x9f")
    lines[2] = b'{"targets": ' + b"[" * 3_000 + b"]" * 3_000 + b"}"
    job = wait_done(ks_intake, post(ks_intake, b"\n".join(lines), "application/x-ndjson").json()["id"])
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 2, 2), job
    errors = errors_of(ks_intake, job["id"])
    assert errors[2][0]["reason"].startswith("is not valid UTF-8 text (byte ") and errors[2][0]["code"] == "not_utf8"
    assert errors[3] == [{"field": "row", "reason": "is nested more than 1,024 levels deep", "code": "json_invalid"}]


def test_a_workbook_cell_beyond_the_value_limit_refuses_its_row(ks_intake: httpx.Client, wait_done) -> None:
    marker = uuid.uuid4().hex[:8]

    def edit(xml: str) -> str:
        long_row = '<row r="3"><c r="D3" t="inlineStr"><is><t>' + "长" * 140_000 + "</t></is></c></row>"
        return xml.replace("</sheetData>", long_row + "</sheetData>")

    content = workbook_bytes([HEADER, flat(marker, 0)], edit_sheet=edit)
    job = wait_done(ks_intake, post(ks_intake, content, XLSX).json()["id"])
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 1, 1), job
    assert errors_of(ks_intake, job["id"])[2] == [
        {"field": "facts", "reason": "is longer than 131,072 characters", "code": "value_too_long"}
    ]


# -- failed as a whole ----------------------------------------------------------------------------


def declare_sheet_size(workbook: bytes, size: int) -> bytes:
    """The worksheet declared ``size`` bytes long in both of the ZIP's records of it: the
    upload's checks pass, and reading stops there and finds the part damaged."""
    damaged = bytearray(workbook)
    name = SHEET.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = damaged.find(signature)
        while damaged[at + name_at : at + name_at + len(name)] != name:
            at = damaged.find(signature, at + 1)
        struct.pack_into("<I", damaged, at + size_at, size)
    return bytes(damaged)


def test_unreadable_files_fail_their_job_with_one_sentence(ks_intake: httpx.Client, wait_done) -> None:
    marker = uuid.uuid4().hex[:8]
    # GBK is read (GB18030 is its superset); a legacy Western code page is neither it nor UTF-8.
    latin1 = "\n".join(",".join(r) for r in [HEADER, ["city_government", "REF-é", "café", "faits"]]).encode("cp1252")
    workbook = workbook_bytes([HEADER, *[flat(marker, i) for i in range(300)]])
    cases = [
        (latin1, "text/csv", "the file is neither UTF-8 nor GBK/GB18030 text (it may have been saved in another"),
        (workbook, "application/x-ndjson", "the file is a ZIP archive (an XLSX workbook?), not JSON Lines text"),
        (declare_sheet_size(workbook, 600), XLSX, "the workbook cannot be opened: it is damaged"),
    ]
    for content, content_type, expected in cases:
        response = post(ks_intake, content, content_type)
        assert response.status_code == 202, response.text
        job = wait_done(ks_intake, response.json()["id"])
        assert job["state"] == "failed" and job["registered"] == 0, job
        assert job["failure"].startswith(expected), job["failure"]
        assert_users_terms(job["failure"])


def test_a_workbook_damaged_midway_keeps_the_rows_read_before(ks_intake: httpx.Client, wait_done) -> None:
    marker = uuid.uuid4().hex[:8]
    workbook = workbook_bytes([HEADER, *[flat(marker, i) for i in range(300)]])
    job = wait_done(ks_intake, post(ks_intake, declare_sheet_size(workbook, 40_000), XLSX).json()["id"])
    assert job["state"] == "failed", job
    assert re.fullmatch(r"the sheet cannot be read past its row \d+: the workbook is damaged", job["failure"]), job
    # Batches of 50: the first is registered before the fault, the one being read is not.
    assert job["registered"] == job["processed_rows"] == 50, job


# -- a job that exhausts its process --------------------------------------------------------------


async def _stream_messages(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return (await nc.jetstream().stream_info("INTAKE")).state.messages
    finally:
        await nc.close()


def test_a_job_beyond_its_memory_or_processor_time_fails_alone(
    own_stack, token, make_matter, make_person, nats_server: NatsServer, wait_done
) -> None:
    stack = own_stack(relay_in_api="false", import_max_unpacked_bytes=str(2**30), import_max_rows="30000")
    with client_of(stack, token) as client:
        too_many = post(client, b"{}\n" * 30_002, "application/x-ndjson")
        assert too_many.status_code == 413 and "more than 30,000 rows" in too_many.json()["detail"]

        stack.start_worker(import_memory_bytes=str(512 * 2**20))
        big_cell = workbook_bytes([HEADER], edit_sheet=with_inline_cell(400_000_000))
        job = wait_done(client, post(client, big_cell, XLSX).json()["id"])
        assert job["state"] == "failed", job
        # Recorded by the job's process once the memory is freed, or else by the worker.
        assert "more memory than" in job["failure"] and "512 MiB" in job["failure"], job
        assert_users_terms(job["failure"])

        stack.worker.stop()
        worker = stack.start_worker(import_cpu_seconds="1")
        # Several processor seconds of work whatever the machine: 10,000 matters of twenty
        # persons each, 200,000 targets to validate and store.
        heavy = [make_person(f"干部{i}") for i in range(20)]
        rows = "\n".join(json.dumps(make_matter(targets=heavy), ensure_ascii=False) for _ in range(10_000)).encode()
        job = wait_done(client, post(client, rows, "application/x-ndjson").json()["id"], timeout=300)
        assert job["state"] == "failed", job
        assert job["failure"].startswith("reading and registering the file took more processor time"), job

        assert worker.process is not None and worker.process.poll() is None
        # The worker still relays, and runs the next job in a fresh process.
        before = asyncio.run(_stream_messages(nats_server.url))
        job = wait_done(client, post(client, json.dumps(make_matter()).encode(), "application/x-ndjson").json()["id"])
        assert (job["state"], job["registered"]) == ("completed", 1), job
        deadline = time.monotonic() + 60
        while asyncio.run(_stream_messages(nats_server.url)) == before:
            assert time.monotonic() < deadline, "the worker's relay published nothing"
            time.sleep(0.2)


def _job(client: httpx.Client, job_id: str) -> dict:
    return client.get(f"/v1/matter-imports/{job_id}").json()


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_job_resumes_after_its_worker_is_killed_or_stopped(own_stack, token, make_matter, wait_done) -> None:
    """kill -9 of the worker ends the job's process with it, and a worker takes the job over
    once its heartbeat is stale; SIGTERM puts it back in the queue at once. Every row is
    registered exactly once. The file stays until the job has completed, then goes."""
    stack = own_stack(import_batch_size="50")
    marker = uuid.uuid4().hex[:8]
    rows = [make_matter(summary=f"续跑{marker}-{i}") for i in range(4_000)]
    with client_of(stack, token) as client:
        content = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
        job_id = post(client, content, "application/x-ndjson").json()["id"]
        file = Path(stack.env["WENZE_DATA_DIR"]) / "intake-imports" / f"{job_id}.jsonl"

        worker = stack.start_worker()
        _wait_for(lambda: _job(client, job_id)["processed_rows"] > 0, "the first batch")
        worker.kill()
        stalled = _job(client, job_id)["processed_rows"]
        time.sleep(2)
        assert _job(client, job_id)["processed_rows"] == stalled, "the job's process outlived its worker"
        assert _job(client, job_id)["state"] == "running"
        assert file.exists(), "a job its worker left keeps its file"

        worker = stack.start_worker()
        _wait_for(lambda: _job(client, job_id)["processed_rows"] > stalled, "the takeover", timeout=180)
        worker.stop()  # SIGTERM
        job = _job(client, job_id)
        assert job["state"] in ("queued", "completed"), job
        if job["state"] == "queued":
            assert file.exists(), "a job handed back to the queue keeps its file"

        stack.start_worker()
        job = wait_done(client, job_id, timeout=300)
        assert (job["state"], job["registered"], job["refused"]) == ("completed", 4_000, 0), job
        _wait_for(lambda: not file.exists(), "the completed job's file to be deleted", timeout=10)
        summaries: list[str] = []
        params = {"q": f"续跑{marker}", "limit": 200}
        while True:
            page = client.get("/v1/matters", params=params).json()
            summaries += [m["summary"] for m in page["items"]]
            if not page["next_cursor"]:
                break
            params["cursor"] = page["next_cursor"]
        assert sorted(summaries) == sorted(r["summary"] for r in rows)
