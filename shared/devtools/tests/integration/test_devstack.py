"""``make run`` as a user gets it: ``python -m wenze_devtools.devstack`` on free ports and a temporary var
directory, up to the ready line, one matter submitted with a token from its issuer, then SIGTERM.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from wenze_devtools.devstack import DEFAULT_PORTS, READY_LINE, SERVICES
from wenze_devtools.testing.infra import free_port

pytestmark = pytest.mark.integration

# Generous: on a busy two-core machine the first start migrates six databases and loads packs.
START_TIMEOUT_SECONDS = 120.0


def _children(pid: int) -> set[int]:
    """Direct children of ``pid``, from /proc (no process library needed)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces; the parent pid is the 2nd field after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")
def test_devstack_starts_serves_and_stops(tmp_path: Path) -> None:
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL", "WENZE_OIDC_BASE_URL") and not k.startswith("WENZE_")
    }
    # One row per batch, so the import below is written in several batches.
    env.update(
        COLUMNS="200",
        WENZE_INTAKE_IMPORT_BATCH_SIZE="1",
        WENZE_DEVSTACK_PORTS=",".join(f"{k}={v}" for k, v in ports.items()),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "wenze_devtools.devstack", "--var-dir", str(tmp_path / "var")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        bufsize=1,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    output: list[str] = []
    children: set[int] = set()
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not any(READY_LINE in line for line in output):
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > deadline:
                pytest.fail("devstack not ready in time:\n" + "".join(output))
            output.append(line)
        banner = "".join(output)
        for service in SERVICES:
            assert f"http://127.0.0.1:{ports[service]}" in banner
        assert "ks-intake" in banner and "party_conduct_office" in banner
        assert f"http://127.0.0.1:{ports['issuer']}/realms/wenze-kunshan/protocol/openid-connect/token" in banner
        # The staff console is started too, its URL printed, and its login leads to the tenant's realm.
        staff_console = f"http://127.0.0.1:{ports['console']}"
        assert f"{staff_console}/" in banner
        to_realm = httpx.get(f"{staff_console}/t/kunshan/login")
        assert to_realm.status_code == 303
        assert to_realm.headers["location"].startswith(
            f"http://127.0.0.1:{ports['issuer']}/realms/wenze-kunshan/protocol/openid-connect/auth?"
        )

        issuer = f"http://127.0.0.1:{ports['issuer']}"
        granted = httpx.post(
            f"{issuer}/realms/wenze-kunshan/protocol/openid-connect/token",
            data={"grant_type": "password", "client_id": "wenze-web", "username": "ks-intake", "password": "wenze"},
        )
        assert "server" not in granted.headers, "the issuer must not name its server software"
        token = granted.json()["access_token"]
        matter = {
            "source": "city_government",
            "source_reference": "昆政办函〔2026〕88号",
            "summary": "城市更新项目推进不力",
            "facts": "审批拖延停滞两个月。",
            "targets": [{"kind": "person", "name": "张明", "cadre_level": "city_managed", "sector": "city_department"}],
        }
        response = httpx.post(
            f"http://127.0.0.1:{ports['intake']}/v1/matters",
            json=matter,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        assert "server" not in response.headers, "a service must not name its server software"
        assert response.json()["number"].startswith("KS-") and response.json()["state"] == "received"
        # A bulk import on SQLite, three batches one after the other; a repeat of a registered matter
        # is refused.
        rows = [
            matter,
            {**matter, "source_reference": "昆政办函〔2026〕89号"},
            {**matter, "source_reference": "昆政办函〔2026〕90号"},
        ]
        job = httpx.post(
            f"http://127.0.0.1:{ports['intake']}/v1/matter-imports",
            content="\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
            timeout=30,
        ).json()
        job_deadline = time.monotonic() + 60
        while job["state"] not in ("completed", "failed") and time.monotonic() < job_deadline:
            time.sleep(0.2)
            job = httpx.get(
                f"http://127.0.0.1:{ports['intake']}/v1/matter-imports/{job['id']}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
        assert (job["state"], job["registered"], job["refused"]) == ("completed", 2, 1), job
        # The embedded default keeps each service's data in its own SQLite file under var/.
        for service in SERVICES:
            assert (tmp_path / "var" / f"{service}.db").exists()
            assert (tmp_path / "var" / "log" / f"{service}-worker.log").exists()

        children = _children(process.pid)
        # NATS, the issuer, an api and a worker per service, and the staff console.
        assert len(children) == 2 + 2 * len(SERVICES) + 1, banner
    finally:
        stop_started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        stopped_after = time.monotonic() - stop_started
    while (line := lines.get(timeout=5)) is not None:
        output.append(line)
    assert process.returncode == 0, "".join(output)
    assert "did not stop in time" not in "".join(output), "every child must stop on SIGTERM by itself"
    assert stopped_after < 5.0, f"make run took {stopped_after:.1f} s to stop"
    leftover = [pid for pid in children if _alive(pid)]
    assert leftover == [], f"children still running after SIGTERM: {leftover}"
