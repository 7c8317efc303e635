"""What ``make bench`` and ``make chaos`` share: a private stack, matter rows and reports.

Both runs start everything they talk to on 127.0.0.1 (NATS, the test issuer, a fresh
PostgreSQL database, intake processes) and tear it down afterwards, so a run measures only
itself and never touches a deployment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from wenze_devtools.testing.fixtures import running_issuer
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, service_env, start_nats
from wenze_devtools.testing.issuer import Issuer

REPORT_DIR = Path("var/reports")
REALM = "wenze-kunshan"
TENANT = "kunshan"
USER = "ks-intake"

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "明华强伟芳军敏静丽涛磊洋艳勇杰娟霞刚平辉"
_UNITS = ("市住房和城乡建设局", "市交通运输局", "花桥经济开发区管委会", "周市镇人民政府", "市水务集团有限公司")
_POSTS = ("副局长", "科长", "主任", "副镇长", "副总经理")


def matter_rows(count: int, *, seed: int, marker: str) -> list[dict[str, Any]]:
    """``count`` valid Kunshan matters with unique source references (so none is a duplicate)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        unit = rng.choice(_UNITS)
        rows.append(
            {
                "source": "city_government",
                "source_reference": f"昆政办函〔2026〕{marker}-{i}号",
                "summary": f"{unit}项目推进不力（{marker}-{i}）",
                "facts": f"2026年3月，{unit}负责的项目因审批拖延停滞{rng.randint(1, 6)}个月，造成不良影响。",
                "targets": [
                    {
                        "kind": "person",
                        "name": name,
                        "post": rng.choice(_POSTS),
                        "unit": unit,
                        "cadre_level": "city_managed",
                        "sector": "city_department",
                        "party_member": True,
                    }
                ],
                "proposed_form": "form_2",
            }
        )
    return rows


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def plain_dsn(url: str) -> str:
    """The asyncpg DSN for a SQLAlchemy URL (asyncpg does not take the ``+asyncpg`` suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def write_report(name: str, report: dict[str, Any]) -> Path:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = REPORT_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    return path


@dataclass
class Stack:
    run_dir: Path
    issuer: Issuer
    nats: NatsServer
    database_url: str
    api: ServiceProcess
    env: dict[str, str]

    @property
    def dsn(self) -> str:
        return plain_dsn(self.database_url)

    def token(self) -> str:
        # Long enough for the whole run: an expiring token mid-run would read as a failure.
        return self.issuer.mint_token(REALM, username=USER, client_id="wenze-api", expires_in=3 * 3600)

    def worker(self, index: int = 0) -> ServiceProcess:
        return ServiceProcess(
            service="intake", role="worker", env=self.env, log_path=self.run_dir / f"intake-worker-{index}.log"
        )


@contextmanager
def intake_stack(run_dir: Path, **settings: str) -> Iterator[Stack]:
    """NATS, the issuer, a fresh database and one intake API process; ``settings`` are
    ``WENZE_INTAKE_*`` overrides such as ``relay_in_api="false"``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        issuer = stack.enter_context(running_issuer())
        database_url = stack.enter_context(fresh_database())
        nats = start_nats(run_dir / "nats")
        stack.callback(nats.stop)
        assert issuer.base_url is not None
        env = service_env(
            "intake",
            database_url=database_url,
            nats_url=nats.url,
            oidc_base_url=issuer.base_url,
            data_dir=run_dir / "data",
            **settings,
        )
        api = ServiceProcess(service="intake", role="api", env=env, log_path=run_dir / "intake-api.log")
        stack.callback(api.stop)
        api.start()
        yield Stack(run_dir=run_dir, issuer=issuer, nats=nats, database_url=database_url, api=api, env=env)


async def submit_import(client: httpx.AsyncClient, rows: list[dict[str, Any]], filename: str) -> str:
    response = await client.post(
        "/v1/matter-imports",
        content=jsonl(rows),
        headers={"Content-Type": "application/x-ndjson", "X-Filename": filename},
    )
    response.raise_for_status()
    return str(response.json()["id"])


async def wait_import(client: httpx.AsyncClient, job_id: str, *, timeout: float, poll: float = 0.2) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await client.get(f"/v1/matter-imports/{job_id}")).json()
        if job["state"] in ("completed", "failed"):
            return job
        await asyncio.sleep(poll)
    raise TimeoutError(f"import {job_id} did not finish within {timeout}s")
