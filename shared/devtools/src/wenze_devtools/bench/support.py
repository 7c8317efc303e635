"""What ``make bench`` and ``make chaos`` share: a private stack, matter rows and reports.

Both runs start everything they talk to on 127.0.0.1 (NATS, the test issuer, a fresh
PostgreSQL database, service processes) and tear it down afterwards, so a run measures only
itself and never touches a deployment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from wenze.events import TargetSnapshot
from wenze_devtools.testing.fixtures import running_issuer
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, service_env, start_nats
from wenze_devtools.testing.issuer import Issuer

REPORT_DIR = Path("var/reports")
# Where every process a run starts keeps its compiled modules, as an image ships them. With
# PYTHONDONTWRITEBYTECODE set (as on the development machines) each start would compile every
# module from source again, about five seconds of CPU: a chaos run pays that on every restart.
BYTECODE_CACHE = Path("var/pycache")
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


# Kunshan targets and where its pack routes them (shared/rulesets/kunshan/decisions/routing.yaml,
# 昆纪办发〔2019〕19号): town cadres who are not city-managed go straight to the town
# commission; city-department cadres who are not city-managed go to the dispatched organ;
# city-managed cadres need a consultation (会商) first; a matter with no identified person is
# investigated. The weights are an assumed mix of what a commission receives.
_TOWNS = ("玉山镇", "周市镇", "张浦镇", "千灯镇", "陆家镇", "花桥镇")
_DEPARTMENTS = ("市住房和城乡建设局", "市交通运输局", "市水务局", "市市场监督管理局")


@dataclass(frozen=True)
class TargetKind:
    label: str
    weight: float
    consultation: bool  # the pack sends the matter to a consultation before naming a handler


TOWN_CADRE = TargetKind("town cadre, not city-managed", 0.45, consultation=False)
DEPARTMENT_CADRE = TargetKind("city-department cadre, not city-managed", 0.25, consultation=False)
CITY_MANAGED_CADRE = TargetKind("city-managed cadre (consultation)", 0.20, consultation=True)
UNKNOWN_TARGET = TargetKind("unknown target (investigation)", 0.10, consultation=False)
KUNSHAN_MIX = (TOWN_CADRE, DEPARTMENT_CADRE, CITY_MANAGED_CADRE, UNKNOWN_TARGET)


def pick_kind(rng: random.Random) -> TargetKind:
    return rng.choices(KUNSHAN_MIX, [k.weight for k in KUNSHAN_MIX])[0]


def kunshan_target(kind: TargetKind, rng: random.Random) -> TargetSnapshot:
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
    if kind is TOWN_CADRE:
        return TargetSnapshot(
            kind="person",
            name=name,
            post=rng.choice(("副镇长", "科长", "村党委书记")),
            unit=rng.choice(_TOWNS),
            cadre_level="not_city_managed",
            sector="district_town",
            party_member=True,
        )
    if kind is DEPARTMENT_CADRE:
        return TargetSnapshot(
            kind="person",
            name=name,
            post="科长",
            unit=rng.choice(_DEPARTMENTS),
            cadre_level="not_city_managed",
            sector="city_department",
            party_member=True,
        )
    if kind is CITY_MANAGED_CADRE:
        return TargetSnapshot(
            kind="person",
            name=name,
            post="副局长",
            unit=rng.choice(_DEPARTMENTS),
            cadre_level="city_managed",
            sector="city_department",
            party_member=True,
        )
    return TargetSnapshot(kind="unknown", unit=rng.choice(_TOWNS), sector="district_town")


def mixed_matter_rows(count: int, *, seed: int, marker: str) -> list[tuple[TargetKind, dict[str, Any]]]:
    """``count`` single-target Kunshan matters of :data:`KUNSHAN_MIX`, each with its kind.

    City-managed cadres are proposed form two (the case the pack's consultation rule names);
    the others form one or no form, which does not change where they go."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        kind = pick_kind(rng)
        target = kunshan_target(kind, rng)
        unit = target.unit or "昆山市"
        row: dict[str, Any] = {
            "source": "city_government",
            "source_reference": f"昆政办函〔2026〕{marker}-{i}号",
            "summary": f"{unit}项目推进不力（{marker}-{i}）",
            "facts": f"2026年3月，{unit}负责的项目因审批拖延停滞{rng.randint(1, 6)}个月，造成不良影响。",
            "targets": [target.model_dump(exclude_none=True)],
        }
        form = "form_2" if kind.consultation else rng.choice(("form_1", None))
        if form is not None:
            row["proposed_form"] = form
        rows.append((kind, row))
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
    apis: dict[str, ServiceProcess]
    envs: dict[str, dict[str, str]]

    @property
    def api(self) -> ServiceProcess:
        """Intake's API, where the bench and the intake-relay chaos run submit their matters."""
        return self.apis["intake"]

    @property
    def env(self) -> dict[str, str]:
        return self.envs["intake"]

    @property
    def dsn(self) -> str:
        return plain_dsn(self.database_url)

    def token(self) -> str:
        # Long enough for the whole run: an expiring token mid-run would read as a failure.
        return self.issuer.mint_token(REALM, username=USER, client_id="wenze-api", expires_in=3 * 3600)

    def worker(self, service: str = "intake", index: int = 0) -> ServiceProcess:
        return ServiceProcess(
            service=service,
            role="worker",
            env=self.envs[service],
            log_path=self.run_dir / f"{service}-worker-{index}.log",
        )


@contextmanager
def platform_stack(run_dir: Path, services: Mapping[str, Mapping[str, str]]) -> Iterator[Stack]:
    """NATS, the issuer, a fresh database and the API process of each of ``services``.

    ``services`` maps a service to its ``WENZE_<SERVICE>_*`` overrides, such as
    ``{"intake": {"relay_in_api": "false"}}``. The APIs start side by side (each migrates
    only its own schema) and are all ready when the block begins; workers are the caller's.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        issuer = stack.enter_context(running_issuer())
        database_url = stack.enter_context(fresh_database())
        nats = start_nats(run_dir / "nats")
        stack.callback(nats.stop)
        assert issuer.base_url is not None
        envs: dict[str, dict[str, str]] = {}
        apis: dict[str, ServiceProcess] = {}
        for service, settings in services.items():
            envs[service] = service_env(
                service,
                database_url=database_url,
                nats_url=nats.url,
                oidc_base_url=issuer.base_url,
                data_dir=run_dir / "data",
                **settings,
            )
            # An empty PYTHONDONTWRITEBYTECODE counts as unset.
            envs[service].update(PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(BYTECODE_CACHE.resolve()))
            apis[service] = ServiceProcess(
                service=service, role="api", env=envs[service], log_path=run_dir / f"{service}-api.log"
            )
            stack.callback(apis[service].stop)
            apis[service].start(wait=False)
        for api in apis.values():
            api.wait_ready()
        yield Stack(run_dir=run_dir, issuer=issuer, nats=nats, database_url=database_url, apis=apis, envs=envs)


@contextmanager
def intake_stack(run_dir: Path, **settings: str) -> Iterator[Stack]:
    """:func:`platform_stack` with intake alone; ``settings`` are ``WENZE_INTAKE_*`` overrides."""
    with platform_stack(run_dir, {"intake": settings}) as stack:
        yield stack


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
