"""What the slip tests share: accepted matters as intake publishes them, publishing and watching
events on the session's NATS, and waiting for the worker's slips."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid

import httpx
import nats

from wenze.auth import Principal
from wenze.db import UnitOfWorkFactory
from wenze.events import Event, MatterAccepted, TargetSnapshot
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_routing.calendar.service import CalendarService
from wenze_routing.repositories import RoutingRepositories
from wenze_routing.slips.service import RoutingService

ON = dt.date(2026, 4, 30)
NUMBER_PREFIX = {"kunshan": "KS", "jintan": "JT"}
# A channel of each tenant's pack: Jintan's sources also choose the procedure (conduct here).
SOURCE = {"kunshan": "city_government", "jintan": "department_transfer"}
# As the demo realm's commission leaders: authority over every Kunshan level.
LEADER = Principal(
    tenant="kunshan",
    subject="s-leader",
    username="ks-leader",
    roles=frozenset({"matter:read", "routing:override"}),
    office="commission_leaders",
    cadre_authority=frozenset({"city_managed", "township_section", "not_city_managed", "below_township_section"}),
)


def routing_for(units_of_work: UnitOfWorkFactory[RoutingRepositories]) -> RoutingService:
    """Routing's service in this process, as its worker builds it (no seed calendar)."""
    return RoutingService(units_of_work, CalendarService(units_of_work, seed_dir=None))


async def publish(nats_url: str, event: Event, msg_id: str | None = None) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for(type(event).service))
        await js.publish(
            event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or str(event.event_id)}
        )
    finally:
        await nc.close()


async def events_for(nats_url: str, subject: str, matter_id: str, count: int = 1, timeout: float = 20) -> list[dict]:
    nc = await nats.connect(nats_url)
    found: list[dict] = []
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for(subject.split(".")[0]))
        sub = await js.subscribe(subject, ordered_consumer=True)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                continue
            data = json.loads(msg.data)
            if data["matter_id"] == matter_id:
                found.append(data)
    finally:
        await nc.close()
    assert len(found) >= count, f"{len(found)} of {count} {subject} for {matter_id} within {timeout}s"
    return found


def accepted(
    *targets: TargetSnapshot,
    proposed_form: str | None = None,
    relevant_date: dt.date = ON,
    tenant: str = "kunshan",
) -> MatterAccepted:
    return MatterAccepted(
        tenant=tenant,
        matter_id=uuid.uuid4(),
        number=f"{NUMBER_PREFIX[tenant]}-2026-{uuid.uuid4().int % 99999:05d}",
        source=SOURCE[tenant],
        summary="某局落实整改不力",
        facts="群众反映整改不到位。",
        key_supervised=False,
        proposed_form=proposed_form,
        targets=list(targets),
        relevant_date=relevant_date,
        study_date=ON,
        participants=["甲", "乙"],
        accepted_by="ks-intake",
    )


def person(cadre_level: str, sector: str | None, name: str = "刘洋", unit: str = "玉山镇") -> TargetSnapshot:
    return TargetSnapshot(kind="person", name=name, cadre_level=cadre_level, sector=sector, unit=unit)


def slips_of(client: httpx.Client, matter_id: str, count: int = 1) -> list[dict]:
    for _ in range(100):
        slips = client.get("/v1/slips", params={"matter_id": matter_id}).json()
        if len(slips) >= count:
            return slips
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} slips for {matter_id}")
