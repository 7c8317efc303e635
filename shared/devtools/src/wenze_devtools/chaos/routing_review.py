"""``make chaos``, routing and review: matters accepted at a steady rate while routing's and
review's workers are killed with ``kill -9``.

Intake, routing and review run as they are deployed, an API and a worker each, with the
APIs' own outbox relays off: each worker is its service's only relay and only consumer, so a
kill interrupts both. The matters are bulk-imported first, then accepted through intake's
HTTP API on an open-loop schedule (acceptance *i* is due at start + *i*/rate whatever has
come back), a Kunshan mix of which the city-managed cadres need a consultation (会商) and the
others are routed at once. Meanwhile each of the two workers is killed at random moments
after its relay and consumers are up, and restarted after a short random pause; the kills
are spread over the load. The load lasts its planned length, or until the last kill if the
restarts take longer; acceptances still due then, on a machine that cannot keep the rate,
are not sent, and the run reports the rate it achieved.

Once the outboxes have drained and the consumers have caught up, the services' own tables
and the streams must show: one routing slip per accepted matter, routed as the pack says;
one consultation per slip that needs one, with one signing task per participant office; one
case per routed slip; each slip's ``matter.routed`` or ``consultation.requested`` event on
stream ROUTING once. Nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import statistics
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
import nats
from nats.js import JetStreamContext
from rich.progress import Progress, TaskID

from wenze.calendar import china_today
from wenze.events import MatterAccepted
from wenze.events.base import event_class_for_subject, subject_for
from wenze.events.routing import ConsultationRequested, MatterRouted
from wenze.messaging.streams import stream_for
from wenze_devtools.bench.support import (
    Stack,
    mixed_matter_rows,
    platform_stack,
    submit_import,
    wait_import,
    write_report,
)
from wenze_devtools.chaos.common import (
    Check,
    StreamRead,
    WorkerExited,
    console,
    log_size,
    logged_since,
    print_checks,
    progress_bars,
    read_stream,
    relay_started,
    wait_logged,
)
from wenze_devtools.testing.infra import ServiceProcess

SERVICES = ("intake", "routing", "review")
# Routing's slip states and review's record kinds, as their tables hold them.
IN_CONSULTATION = "in_consultation"
ROUTED = "routed"
CONSULTATION = "consultation"
SIGNING_TASK = "consultation_signature"
# Bounds on every wait, so a broken build ends the run instead of hanging it.
IMPORT_TIMEOUT_S = 600.0
DRAIN_TIMEOUT_S = 300.0
ACCEPT_TIMEOUT_S = 60.0
# A kill comes at a random moment in AFTER_READY_S (later when there is time to spread the
# kills over the load) after the worker has started working: after its first write since the
# restart when events are waiting for it (the first batch after a start also loads the rule
# pack, which on a busy machine takes longer than the whole range), else after its relay and
# consumers are up. No kill comes later than END_MARGIN_S before the load's planned end while
# there is time left; restarts wait PAUSE_S. Under a backlog a routing batch takes a few
# hundred milliseconds, so most kills land while the worker is fetching, writing or publishing.
AFTER_READY_S = (0.2, 3.0)
FIRST_WRITE_TIMEOUT_S = 60.0
# A worker that ends on its own (one that cannot reach PostgreSQL at start-up, say) is started
# again, as a deployment's supervisor would; more often than this, the run gives up.
MAX_SELF_EXITS = 10
END_MARGIN_S = 1.0
PAUSE_S = (0.1, 1.5)
POLL_S = 1.0


@dataclass(frozen=True)
class Plan:
    rate: float = 200.0  # acceptances per second
    seconds: float = 150.0  # of acceptances at that rate
    kills: int = 20  # of each of the two workers
    concurrency: int = 24  # acceptances in flight at most (and intake's pooled connections)
    seed: int = 7

    @property
    def matters(self) -> int:
        return max(1, round(self.rate * self.seconds))


@dataclass(frozen=True)
class KilledWorker:
    """A worker the scenario kills: the consumers it runs under this load, and what they write."""

    service: str
    consumers: tuple[tuple[str, str], ...]  # (stream, durable name)
    effects_sql: str

    def consuming(self, entries: list[dict[str, Any]]) -> bool:
        """Its relay and every consumer under load have started (read from its JSON log)."""
        started = {e.get("durable") for e in entries if e.get("event") == "consumer started"}
        return relay_started(entries) and {durable for _, durable in self.consumers} <= started


ROUTING_WORKER = KilledWorker(
    "routing", ((stream_for("intake").name, "routing-accepted"),), "SELECT count(*) FROM routing.slips"
)
REVIEW_WORKER = KilledWorker(
    "review",
    tuple(
        (stream_for("routing").name, durable) for durable in ("review-consultation-requested", "review-matter-routed")
    ),
    "SELECT (SELECT count(*) FROM review.deliberations) + (SELECT count(*) FROM review.cases)",
)
KILLED = (ROUTING_WORKER, REVIEW_WORKER)


@dataclass
class WorkerKill:
    service: str
    number: int
    at_s: float  # since the first acceptance was due
    after_ready_s: float  # since this incarnation's first write, or its consumers' start if idle
    events_pending: int  # waiting for its consumers or delivered and not yet acknowledged
    outbox_backlog: int
    rows_written_while_alive: int
    exit_code: int | None
    pause_s: float


@dataclass
class SelfExit:
    """A worker that ended without being killed, and was started again."""

    service: str
    at_s: float  # since the first acceptance was due
    exit_code: int | None
    last_error: str


@dataclass
class AcceptanceLoad:
    """The open-loop acceptance schedule and what came back."""

    rate: float
    scheduled: int
    started: float = 0.0  # time.monotonic() at which the first acceptance is due
    finished: float = 0.0
    send_seconds: float = 0.0
    send_lag_max_s: float = 0.0
    answered: Counter[str] = field(default_factory=Counter)  # HTTP status, or the transport error's name
    latencies_ms: list[float] = field(default_factory=list)
    sent_ids: set[str] = field(default_factory=set)
    accepted_ids: set[str] = field(default_factory=set)  # answered 200

    @property
    def sent(self) -> int:
        return len(self.sent_ids)

    @property
    def no_answer(self) -> int:
        return sum(n for outcome, n in self.answered.items() if not outcome.isdigit())

    @property
    def other_status(self) -> int:
        return sum(n for outcome, n in self.answered.items() if outcome.isdigit() and outcome != "200")

    @property
    def planned_end(self) -> float:
        return self.started + self.scheduled / self.rate

    @property
    def done(self) -> int:
        return sum(self.answered.values())

    def summary(self) -> dict[str, Any]:
        latencies = sorted(self.latencies_ms)

        def quantile(q: float) -> float | None:
            return round(latencies[min(len(latencies) - 1, int(len(latencies) * q))], 1) if latencies else None

        return {
            "rate": self.rate,
            "scheduled": self.scheduled,
            "sent": self.sent,
            "achieved_rate": round(self.sent / self.send_seconds, 1) if self.send_seconds else None,
            "send_lag_max_s": round(self.send_lag_max_s, 2),
            "seconds": round(self.finished - self.started, 1),
            "answered": dict(self.answered),
            "p50_ms": quantile(0.50),
            "p99_ms": quantile(0.99),
            "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        }


class Phases:
    """How long each part of the run took, to tell the load from the set-up around it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self._last, 1)
        self._last = now


class Probe:
    """Counts the run watches while it goes: table sizes, outbox backlogs, consumer lag."""

    def __init__(self, pg: asyncpg.Pool, js: JetStreamContext):
        self.pg = pg
        self.js = js

    async def count(self, sql: str) -> int:
        return int(await self.pg.fetchval(sql) or 0)

    async def backlog(self, service: str) -> int:
        return await self.count(f"SELECT count(*) FROM {service.replace('-', '_')}.outbox WHERE published_at IS NULL")

    async def pending(self, worker: KilledWorker) -> dict[str, int]:
        pending = {}
        for stream, durable in worker.consumers:
            info = await self.js.consumer_info(stream, durable)
            pending[durable] = (info.num_pending or 0) + (info.num_ack_pending or 0)
        return pending


# -- the run ----------------------------------------------------------------------------------


async def _accept(
    client: httpx.AsyncClient,
    matter_ids: list[str],
    load: AcceptanceLoad,
    concurrency: int,
    kills_outstanding: Callable[[], bool],
) -> None:
    """Accept ``matter_ids`` through intake's API on the load's schedule, ``concurrency`` at most
    in flight, recording every answer and its latency from the due time."""
    body = json.dumps(
        {"outcome": "accepted", "participants": ["室主任", "分管副主任"], "study_date": china_today().isoformat()},
        ensure_ascii=False,
    ).encode()
    slots = asyncio.Semaphore(concurrency)

    async def accept(matter_id: str, due: float) -> None:
        try:
            response = await client.post(
                f"/v1/matters/{matter_id}/acceptance", content=body, headers={"Content-Type": "application/json"}
            )
            outcome = str(response.status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        finally:
            slots.release()
        if outcome == "200":
            load.accepted_ids.add(matter_id)
        load.answered[outcome] += 1
        load.latencies_ms.append((time.monotonic() - due) * 1000)

    async with asyncio.TaskGroup() as requests:
        for i, matter_id in enumerate(matter_ids):
            due = load.started + i / load.rate
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            # Behind schedule, the overdue acceptances go as soon as a slot frees; their latency
            # still counts from the due time.
            await slots.acquire()
            now = time.monotonic()
            # The load lasts its planned length, or until the last kill if that comes later.
            # What is still due then (on a machine that cannot keep the rate) is not sent, so
            # the run ends in a bounded time; those matters stay received and are not checked.
            if now > load.planned_end and not kills_outstanding():
                slots.release()
                break
            load.send_lag_max_s = max(load.send_lag_max_s, now - due)
            load.sent_ids.add(matter_id)
            requests.create_task(accept(matter_id, due))
        load.send_seconds = time.monotonic() - load.started
    load.finished = time.monotonic()


async def _kill_repeatedly(
    spec: KilledWorker,
    worker: ServiceProcess,
    probe: Probe,
    load: AcceptanceLoad,
    *,
    kills: int,
    start_up_s: float,
    rng: random.Random,
    log: list[WorkerKill],
    self_exits: list[SelfExit],
) -> None:
    """Kill ``worker`` ``kills`` times, each at a random moment after it has started working
    (see AFTER_READY_S), and restart it after a random pause. Where the machine leaves time for
    it, the moments spread the kills over the load's planned length: each waits on average its
    share of the time left, less a start-up and a pause."""
    offset = 0  # the running incarnation was waited for before the load began
    written_before = await probe.count(spec.effects_sql)
    mean_pause = sum(PAUSE_S) / 2
    earliest, latest = AFTER_READY_S
    for number in range(1, kills + 1):
        spawned = time.monotonic()
        await _until_consuming(spec, worker, offset, load, self_exits)
        if number > 1:
            start_up_s = time.monotonic() - spawned
        await _first_write(spec, probe, written_before)
        ready = time.monotonic()
        time_left = load.planned_end - ready
        share = time_left / (kills - number + 1) - start_up_s - mean_pause
        after_ready = rng.uniform(earliest, max(latest, 2 * share - earliest))
        if time_left > END_MARGIN_S + earliest:
            after_ready = min(after_ready, time_left - END_MARGIN_S)
        await asyncio.sleep(after_ready)
        pending = sum((await probe.pending(spec)).values())
        backlog = await probe.backlog(spec.service)
        written = await probe.count(spec.effects_sql) - written_before
        worker.kill()
        killed = time.monotonic()
        pause = rng.uniform(*PAUSE_S)
        log.append(
            WorkerKill(
                service=spec.service,
                number=number,
                at_s=round(killed - load.started, 2),
                after_ready_s=round(killed - ready, 2),
                events_pending=pending,
                outbox_backlog=backlog,
                rows_written_while_alive=written,
                exit_code=worker.process.returncode if worker.process else None,
                pause_s=round(pause, 2),
            )
        )
        await asyncio.sleep(pause)
        written_before = await probe.count(spec.effects_sql)
        offset = log_size(worker)
        worker.start(wait=False)


# The last line of a traceback printed outside the JSON log, e.g. "TooManyConnectionsError: …".
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b.*:")


def _last_error(worker: ServiceProcess, offset: int) -> str:
    """The last error this incarnation of ``worker`` wrote: the traceback a crash prints, else
    its last error log entry; cut short for the report."""
    try:
        with worker.log_path.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    for at in range(len(lines) - 1, -1, -1):
        if _EXCEPTION_LINE.match(lines[at]):
            # The console wraps a long message onto the lines below it, up to a blank line.
            message = []
            for line in lines[at:]:
                if not line.strip() or line.startswith(("╭", "{")):
                    break
                message.append(line.strip())
            return " ".join(message)[:300]
    for entry in reversed(logged_since(worker, offset)):
        if entry.get("level") in ("error", "critical"):
            exceptions = entry.get("exception") or [{}]
            return str(exceptions[-1].get("exc_value") or entry.get("event"))[:300]
    return ""


async def _until_consuming(
    spec: KilledWorker, worker: ServiceProcess, offset: int, load: AcceptanceLoad, self_exits: list[SelfExit]
) -> None:
    """Wait for this incarnation's relay and consumers, starting the worker again each time it
    ends on its own (recorded in ``self_exits``)."""
    while True:
        try:
            await wait_logged(worker, offset, spec.consuming, "its relay and consumers")
            return
        except WorkerExited:
            self_exits.append(
                SelfExit(
                    service=spec.service,
                    at_s=round(time.monotonic() - load.started, 2),
                    exit_code=worker.process.returncode if worker.process else None,
                    last_error=_last_error(worker, offset),
                )
            )
            if sum(1 for e in self_exits if e.service == spec.service) > MAX_SELF_EXITS:
                raise
            offset = log_size(worker)
            worker.start(wait=False)


async def _first_write(spec: KilledWorker, probe: Probe, written_before: int) -> None:
    """Wait, while events are waiting for ``spec``'s consumers, until it has written a row."""
    deadline = time.monotonic() + FIRST_WRITE_TIMEOUT_S
    while time.monotonic() < deadline and any((await probe.pending(spec)).values()):
        if await probe.count(spec.effects_sql) > written_before:
            return
        await asyncio.sleep(0.1)


async def _drained(probe: Probe) -> bool:
    """No unpublished outbox row in any service and nothing waiting for a killed worker's consumers."""
    for service in SERVICES:
        if await probe.backlog(service):
            return False
    for spec in KILLED:
        if any((await probe.pending(spec)).values()):
            return False
    return True


async def _wait_drained(probe: Probe, timeout: float) -> bool:
    # Twice in a row, a poll apart: a consumer may hold an event it has fetched and not yet
    # written, and routing's relay publishes what review will then consume.
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if await _drained(probe) else 0
        if quiet == 2:
            return True
        await asyncio.sleep(POLL_S)
    return False


class SlipRow(NamedTuple):
    id: str
    matter_id: str
    state: str
    participants: list[str]  # the consultation's participant offices, as the rules gave them


@dataclass
class Observation:
    """What the services' tables and the streams hold at the end, and how the run went."""

    plan: Plan
    submitted: int
    load: AcceptanceLoad
    kills: list[WorkerKill]
    self_exits: list[SelfExit]
    needs_consultation: dict[str, bool]  # accepted matter id → its target needs a consultation
    accepted_events: StreamRead[str]  # matter ids of matter.accepted on INTAKE
    routing_events: StreamRead[tuple[str, str]]  # (event name, slip id) on ROUTING
    slips: list[SlipRow]
    consultations: list[tuple[str, str]]  # (consultation id, slip id)
    signing_tasks: list[tuple[str, str]]  # (consultation id, office)
    cases: list[str]  # slip ids
    outbox_backlogs: dict[str, int]
    events_pending: dict[str, int]  # per durable consumer of the killed workers
    drained: bool
    phases: Phases


async def _observe(
    pg: asyncpg.Pool, kinds: dict[str, bool]
) -> tuple[dict[str, bool], list[SlipRow], list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """From the services' own tables: the accepted matters (with whether each needs a
    consultation), routing's slips, review's consultations, signing tasks and cases."""
    accepted = {
        r["id"]: kinds[r["source_reference"]]
        for r in await pg.fetch("SELECT id::text AS id, source_reference FROM intake.matters WHERE state = 'accepted'")
    }
    slips = [
        SlipRow(r["id"], r["matter_id"], r["state"], json.loads(r["participants"] or "[]"))
        for r in await pg.fetch(
            "SELECT id::text AS id, matter_id::text AS matter_id, state, "
            "outcome->'consultation_participants' AS participants FROM routing.slips"
        )
    ]
    consultations = [
        (r["id"], r["slip_id"])
        for r in await pg.fetch(
            "SELECT id::text AS id, slip_id::text AS slip_id FROM review.deliberations WHERE kind = $1", CONSULTATION
        )
    ]
    tasks = [
        (r["subject_id"], r["office"])
        for r in await pg.fetch(
            "SELECT subject_id::text AS subject_id, office FROM review.tasks WHERE kind = $1", SIGNING_TASK
        )
    ]
    cases = [r["slip_id"] for r in await pg.fetch("SELECT slip_id::text AS slip_id FROM review.cases")]
    return accepted, slips, consultations, tasks, cases


async def _start_workers(workers: dict[str, ServiceProcess]) -> dict[str, float]:
    """Start every service's worker side by side; how long each took to be up."""
    started = time.monotonic()
    for worker in workers.values():
        worker.start(wait=False)
    start_up: dict[str, float] = {}

    async def up(service: str) -> None:
        spec = next((k for k in KILLED if k.service == service), None)
        ready = spec.consuming if spec else relay_started
        await wait_logged(workers[service], 0, ready, "its relay and consumers")
        start_up[service] = time.monotonic() - started

    await asyncio.gather(*(up(service) for service in SERVICES))
    return start_up


async def _run(stack: Stack, plan: Plan, phases: Phases) -> Observation:
    rows = mixed_matter_rows(plan.matters, seed=plan.seed, marker=f"chaos-rr{plan.seed}")
    kinds = {row["source_reference"]: kind.consultation for kind, row in rows}
    order = {row["source_reference"]: i for i, (_, row) in enumerate(rows)}
    consultations_due = sum(kinds.values())
    pg = await asyncpg.create_pool(stack.dsn, min_size=1, max_size=4)
    nc = await nats.connect(stack.nats.url, name="wenze-chaos")
    probe = Probe(pg, nc.jetstream())
    client = httpx.AsyncClient(
        base_url=stack.api.url,
        timeout=ACCEPT_TIMEOUT_S,
        headers={"Authorization": f"Bearer {stack.token()}"},
        # Idle connections are dropped well before uvicorn's keep-alive timeout (5 s), so none
        # is reused just as the server closes it.
        limits=httpx.Limits(
            max_connections=plan.concurrency, max_keepalive_connections=plan.concurrency, keepalive_expiry=2.0
        ),
    )
    workers = {service: stack.worker(service) for service in SERVICES}
    load = AcceptanceLoad(rate=plan.rate, scheduled=plan.matters)
    kill_log: list[WorkerKill] = []
    self_exits: list[SelfExit] = []
    try:
        start_up = await _start_workers(workers)
        phases.mark("workers started")
        with progress_bars() as progress:
            bars = {
                "imported": progress.add_task("matters imported", total=plan.matters),
                "answered": progress.add_task("acceptances answered", total=plan.matters),
                "slips": progress.add_task("routing slips", total=plan.matters),
                "consultations": progress.add_task("consultations opened", total=consultations_due),
                "cases": progress.add_task("cases opened (routed slips)", total=plan.matters - consultations_due),
                "routing": progress.add_task("kill -9 of routing's worker", total=plan.kills),
                "review": progress.add_task("kill -9 of review's worker", total=plan.kills),
            }
            stop = asyncio.Event()
            needs_consultation: dict[str, bool] = {}  # matter id → its target needs a consultation
            watching = asyncio.create_task(_monitor(progress, bars, probe, load, needs_consultation, kill_log, stop))
            try:
                job = await submit_import(client, [row for _, row in rows], "chaos-routing-review.jsonl")
                imported = await wait_import(client, job, timeout=IMPORT_TIMEOUT_S)
                if imported["state"] != "completed" or imported["registered"] != plan.matters:
                    raise RuntimeError(f"the bulk import did not register every matter: {imported}")
                phases.mark("bulk import")
                imported_rows = await pg.fetch("SELECT id::text AS id, source_reference FROM intake.matters")
                needs_consultation.update((r["id"], kinds[r["source_reference"]]) for r in imported_rows)
                matter_ids = [r["id"] for r in sorted(imported_rows, key=lambda r: order[r["source_reference"]])]
                load.started = time.monotonic() + 0.05
                # A task group: if one of them fails, the others stop too.
                async with asyncio.TaskGroup() as load_and_kills:
                    load_and_kills.create_task(
                        _accept(
                            client, matter_ids, load, plan.concurrency, lambda: len(kill_log) < len(KILLED) * plan.kills
                        )
                    )
                    for spec in KILLED:
                        load_and_kills.create_task(
                            _kill_repeatedly(
                                spec,
                                workers[spec.service],
                                probe,
                                load,
                                kills=plan.kills,
                                start_up_s=start_up[spec.service],
                                rng=random.Random(f"{plan.seed}-{spec.service}"),
                                log=kill_log,
                                self_exits=self_exits,
                            )
                        )
                phases.mark("acceptances and kills")
                drained = await _wait_drained(probe, DRAIN_TIMEOUT_S)
                phases.mark("drain")
            finally:
                stop.set()
                await watching
        # Drained, the workers have nothing left to do; a SIGTERM would wait out their NATS
        # connection's drain timeout (30 s) before they exit.
        for worker in workers.values():
            worker.kill()
        phases.mark("workers stopped")
        accepted, slips, consultations, tasks, cases = await _observe(pg, kinds)
        backlogs = {service: await probe.backlog(service) for service in SERVICES}
        pending = {durable: n for spec in KILLED for durable, n in (await probe.pending(spec)).items()}
    finally:
        for worker in workers.values():
            worker.kill()
        await client.aclose()
        await nc.close()
        await pg.close()
    accepted_events = await read_stream(
        stack.nats.url,
        stream_for("intake").name,
        subject_for(MatterAccepted, "*"),
        lambda _subject, event: str(event["matter_id"]),
    )
    routing_events = await read_stream(
        stack.nats.url,
        stream_for("routing").name,
        f"{stream_for('routing').subject_prefix}.*.{MatterRouted.aggregate}.>",
        lambda subject, event: (event_class_for_subject(subject)[0].name, str(event["slip_id"])),
    )
    phases.mark("tables and streams read")
    return Observation(
        plan=plan,
        submitted=plan.matters,
        load=load,
        kills=kill_log,
        self_exits=self_exits,
        needs_consultation=accepted,
        accepted_events=accepted_events,
        routing_events=routing_events,
        slips=slips,
        consultations=consultations,
        signing_tasks=tasks,
        cases=cases,
        outbox_backlogs=backlogs,
        events_pending=pending,
        drained=drained,
        phases=phases,
    )


async def _monitor(
    progress: Progress,
    bars: dict[str, TaskID],
    probe: Probe,
    load: AcceptanceLoad,
    needs_consultation: dict[str, bool],
    kill_log: list[WorkerKill],
    stop: asyncio.Event,
) -> None:
    async def update() -> None:
        if load.send_seconds:
            # The load has ended: what is due downstream is what was sent.
            consultations = sum(needs_consultation[m] for m in load.sent_ids)
            for bar, total in (
                ("answered", load.sent),
                ("slips", load.sent),
                ("consultations", consultations),
                ("cases", load.sent - consultations),
            ):
                progress.update(bars[bar], total=total)
        progress.update(bars["imported"], completed=await probe.count("SELECT count(*) FROM intake.matters"))
        progress.update(bars["answered"], completed=load.done)
        progress.update(bars["slips"], completed=await probe.count("SELECT count(*) FROM routing.slips"))
        progress.update(
            bars["consultations"],
            completed=await probe.count(f"SELECT count(*) FROM review.deliberations WHERE kind = '{CONSULTATION}'"),
        )
        progress.update(bars["cases"], completed=await probe.count("SELECT count(*) FROM review.cases"))
        kills = Counter(k.service for k in kill_log)
        for spec in KILLED:
            progress.update(bars[spec.service], completed=kills[spec.service])

    while not stop.is_set():
        await update()
        try:
            await asyncio.wait_for(stop.wait(), timeout=POLL_S)
        except TimeoutError:
            pass
    await update()


# -- the verdict ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """How a set of records matches the keys it should hold once each."""

    missing: int  # keys with no record
    twice: int  # keys with more than one
    unexpected: int  # records for no expected key

    @property
    def ok(self) -> bool:
        return not (self.missing or self.twice or self.unexpected)

    def __str__(self) -> str:
        return f"{self.missing:,} / {self.twice:,} / {self.unexpected:,}"


def tally(expected: Collection[Any], found: Iterable[Any]) -> Tally:
    counts = Counter(found)
    wanted = set(expected)
    return Tally(
        missing=len(wanted - counts.keys()),
        twice=sum(1 for key, n in counts.items() if key in wanted and n > 1),
        unexpected=sum(n for key, n in counts.items() if key not in wanted),
    )


NONE_MISSING = "0 / 0 / 0"


def checks(o: Observation) -> list[Check]:
    """The table's rows: figures of the run and the checks, each with what it should be."""
    accepted = o.needs_consultation
    slip_of = {s.id: s for s in o.slips}
    consultation_slips = {s.id for s in o.slips if s.state == IN_CONSULTATION}
    routed_slips = {s.id for s in o.slips if s.state == ROUTED}
    as_the_pack_says = sum(
        1
        for s in o.slips
        if s.matter_id in accepted and s.state == (IN_CONSULTATION if accepted[s.matter_id] else ROUTED)
    )
    slips = tally(accepted, (s.matter_id for s in o.slips))
    routed_events = tally(routed_slips, (slip for name, slip in o.routing_events.kept if name == MatterRouted.name))
    requested_events = tally(
        consultation_slips, (slip for name, slip in o.routing_events.kept if name == ConsultationRequested.name)
    )
    consultations = tally(consultation_slips, (slip for _, slip in o.consultations))
    offices_due = {
        (consultation, office)
        for consultation, slip in o.consultations
        if slip in slip_of
        for office in slip_of[slip].participants
    }
    tasks = tally(offices_due, o.signing_tasks)
    cases = tally(routed_slips, o.cases)
    accepted_events = tally(accepted, o.accepted_events.kept)
    kills = {spec.service: [k for k in o.kills if k.service == spec.service] for spec in KILLED}
    load_seconds = o.load.finished - o.load.started
    in_load = sum(1 for k in o.kills if 0 <= k.at_s <= load_seconds)
    summary = o.load.summary()
    routing, review = kills["routing"], kills["review"]

    def per_worker(predicate: Callable[[WorkerKill], bool]) -> str:
        return f"{sum(map(predicate, routing))} / {sum(map(predicate, review))}"

    planned = f"{o.plan.kills} / {o.plan.kills}"
    mismatched_ids = o.accepted_events.msg_id_mismatches + o.routing_events.msg_id_mismatches
    backlogs = " / ".join(str(o.outbox_backlogs[s]) for s in SERVICES)
    return [
        Check("matters bulk-imported", o.submitted),
        Check("acceptances sent in the load (of the schedule's)", f"{o.load.sent:,} of {o.load.scheduled:,}"),
        Check("  rate: scheduled → achieved (/s)", f"{o.plan.rate:g} → {summary['achieved_rate']}"),
        Check("  load length (s)", summary["seconds"]),
        Check("  answered 200 OK", o.load.answered["200"]),
        Check("  answered with another status", o.load.other_status, "0", o.load.other_status == 0),
        # A connection the overloaded API closed before answering: whether the acceptance was
        # applied shows in intake's table, which the checks below take as the truth.
        Check("  no answer (connection closed)", o.load.no_answer),
        Check("  latency from due time, p50 / p99 (ms)", f"{summary['p50_ms']} / {summary['p99_ms']}"),
        Check(
            "kill -9 of the worker (routing / review)",
            f"{len(routing)} / {len(review)}",
            planned,
            all(len(v) == o.plan.kills and all(k.exit_code == -9 for k in v) for v in kills.values()),
        ),
        Check("  with events pending for its consumers", per_worker(lambda k: k.events_pending > 0)),
        Check("  with unpublished outbox rows", per_worker(lambda k: k.outbox_backlog > 0)),
        Check(
            "  mid-work (rows written, events pending)",
            per_worker(lambda k: k.rows_written_while_alive > 0 and k.events_pending > 0),
        ),
        Check(
            "workers that ended on their own, restarted",
            f"{sum(e.service == 'routing' for e in o.self_exits)} / {sum(e.service == 'review' for e in o.self_exits)}",
        ),
        Check(
            "kills during the acceptance load",
            in_load,
            f"{len(o.kills):,}",
            in_load == len(o.kills) == 2 * o.plan.kills,
        ),
        Check(
            "matters accepted (intake): answered 200, none unsent",
            len(accepted),
            f"{len(o.load.accepted_ids):,}",
            bool(accepted) and o.load.accepted_ids <= accepted.keys() <= o.load.sent_ids,
        ),
        Check(
            "matter.accepted on INTAKE: missing / twice / other", str(accepted_events), NONE_MISSING, accepted_events.ok
        ),
        Check("routing slips", len(o.slips), f"{len(accepted):,}", len(o.slips) == len(accepted)),
        Check("  per accepted matter: missing / twice / other", str(slips), NONE_MISSING, slips.ok),
        Check(
            "  routed as the pack says (consultation or not)",
            as_the_pack_says,
            f"{len(accepted):,}",
            as_the_pack_says == len(o.slips) == len(accepted),
        ),
        Check(
            "  in consultation / routed",
            f"{len(consultation_slips):,} / {len(routed_slips):,}",
            f"{sum(accepted.values()):,} / {len(accepted) - sum(accepted.values()):,}",
        ),
        Check("matter.routed on ROUTING, per routed slip", str(routed_events), NONE_MISSING, routed_events.ok),
        Check("consultation.requested on ROUTING, per slip", str(requested_events), NONE_MISSING, requested_events.ok),
        Check("Nats-Msg-Id other than the event id", mismatched_ids, "0", mismatched_ids == 0),
        Check(
            "consultations (review)",
            len(o.consultations),
            f"{len(consultation_slips):,}",
            len(o.consultations) == len(consultation_slips),
        ),
        Check("  per consultation slip: missing / twice / other", str(consultations), NONE_MISSING, consultations.ok),
        Check("signing tasks", len(o.signing_tasks), f"{len(offices_due):,}", len(o.signing_tasks) == len(offices_due)),
        Check("  per participant office: missing / twice / other", str(tasks), NONE_MISSING, tasks.ok),
        Check("cases (review), per routed slip", str(cases), NONE_MISSING, cases.ok),
        Check(
            "outbox backlog at the end (intake / routing / review)",
            backlogs,
            "0 / 0 / 0",
            not any(o.outbox_backlogs.values()),
        ),
        Check(
            "events not yet consumed at the end",
            sum(o.events_pending.values()),
            "0",
            o.drained and not any(o.events_pending.values()),
        ),
    ]


def result_of(o: Observation, rows: list[Check], seconds: float) -> dict[str, Any]:
    problems = [f"{c.label.strip()}: {c.value}, expected {c.expected}" for c in rows if c.passed is False]
    return {
        "plan": asdict(o.plan),
        "passed": not problems,
        "problems": problems,
        "checks": [asdict(c) for c in rows],
        "acceptances": o.load.summary(),
        "kill_log": [asdict(k) for k in o.kills],
        "self_exits": [asdict(e) for e in o.self_exits],
        "outbox_backlogs": o.outbox_backlogs,
        "events_pending": o.events_pending,
        "routing_stream_messages": o.routing_events.stream_messages,
        "phases_s": o.phases.seconds,
        "seconds": round(seconds, 1),
    }


def execute(plan: Plan, run_dir: Path) -> dict[str, Any]:
    """The scenario on a private stack under ``run_dir``; the report, checks included."""
    started = time.monotonic()
    # Other work on the machine takes CPU from the run; the load average tells a starved run.
    load_average_before = os.getloadavg()[0]
    phases = Phases()
    relay_off = {"relay_in_api": "false"}
    services = {
        # One pooled connection per acceptance in flight, so none opens and closes a connection
        # of its own; the server's connections (100 by default) are shared with whatever else
        # runs, hence a modest default concurrency.
        "intake": {**relay_off, "db_pool_size": str(plan.concurrency)},
        "routing": relay_off,
        "review": relay_off,
    }
    with platform_stack(run_dir, services) as stack:
        phases.mark("stack started")
        observation = asyncio.run(_run(stack, plan, phases))
    phases.mark("stack stopped")
    seconds = time.monotonic() - started
    rows = [
        *checks(observation),
        Check("run time (s)", round(seconds, 1)),
        Check("  " + " / ".join(phases.seconds), " / ".join(f"{s:g}" for s in phases.seconds.values())),
        Check(
            f"machine load average, start / end ({os.cpu_count()} cores)",
            f"{load_average_before:.1f} / {os.getloadavg()[0]:.1f}",
        ),
    ]
    return result_of(observation, rows, seconds)


def run_scenario(plan: Plan) -> bool:
    run_dir = Path("var/chaos") / f"routing-review-{time.strftime('%Y%m%d-%H%M%S')}"
    console.print(
        f"[bold]make chaos, routing and review[/]: {plan.matters:,} matters accepted at {plan.rate:g}/s "
        f"({plan.concurrency} in flight at most), {plan.kills} × kill -9 of routing's worker and "
        f"{plan.kills} of review's, seed {plan.seed}"
    )
    result = execute(plan, run_dir)
    report_path = write_report("chaos-routing-review", result)
    print_checks(
        "make chaos: routing's and review's workers under kill -9",
        [Check(**c) for c in result["checks"]],
        result["problems"],
        "every accepted matter routed once, every consultation opened once with its tasks, nothing doubled",
        report_path,
    )
    console.print(f"run time: {result['seconds']} s")
    if result["passed"]:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        console.print(f"logs kept in {run_dir}")
    return bool(result["passed"])
