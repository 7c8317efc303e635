"""``make chaos``, routing and review: matters accepted at a steady rate while routing's and
review's workers are killed with ``kill -9``.

The load is the stream of acceptances itself: ``MatterAccepted`` events published to stream
``INTAKE`` exactly as intake's outbox relay publishes them (same subject, payload, trace
context and ``Nats-Msg-Id``; :mod:`wenze_devtools.bench.acceptance_events`), on an open-loop
schedule (acceptance *i* is due at start + *i*/rate whatever has come back). Intake is not
part of this stack: its relay under ``kill -9`` is the intake-relay scenario, and its HTTP
acceptance, about 12–13 ms of CPU each, could not keep 200 per second on two cores, so driving
it would load intake instead of routing and review.

Routing and review run as they are deployed, an API and a worker each, with the APIs' own
outbox relays off: each worker is its service's only relay and only consumer, so a kill
interrupts both. The acceptances are a Kunshan mix of which the city-managed cadres need a
consultation (会商) and the others are routed at once. Meanwhile each of the two workers is
killed at random moments after its relay and consumers are up, and restarted after a short
random pause; the kills are spread over the load. The load lasts its planned length, or
longer, at the same rate, until the last kill if the restarts take longer.

Once the outboxes have drained and the consumers have caught up, stream ``INTAKE``, the
services' own tables and stream ``ROUTING`` must show: each published acceptance on
``INTAKE`` once; one routing slip per acceptance, routed as the pack says; one consultation
per slip that needs one, with one signing task per participant office; one case per routed
slip; each slip's ``matter.routed`` or ``consultation.requested`` event on ``ROUTING`` once.
Nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from rich.progress import Progress, TaskID

from wenze.db.tenancy import system_server_settings
from wenze.events import MatterAccepted
from wenze.events.base import event_class_for_subject, subject_for
from wenze.events.routing import ConsultationRequested, MatterRouted
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.bench.acceptance_events import Message, Sending, kunshan_acceptances, messages, open_loop, relayed
from wenze_devtools.bench.support import Stack, TargetKind, platform_stack, write_report
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

SERVICES = ("routing", "review")
# Routing's slip states and review's record kinds, as their tables hold them.
IN_CONSULTATION = "in_consultation"
ROUTED = "routed"
CONSULTATION = "consultation"
SIGNING_TASK = "consultation_signature"
# Bounds on every wait, so a broken build ends the run instead of hanging it.
DRAIN_TIMEOUT_S = 900.0
# The publisher must keep the schedule's rate to within this share, or the run did not load
# the workers as planned.
MIN_ACHIEVED_RATE_SHARE = 0.975
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


@dataclass(kw_only=True)
class AcceptanceLoad(Sending):
    """The open-loop schedule of acceptances published, and when it ended."""

    planned: int  # acceptances the schedule plans; more follow, at the same rate, while kills are due
    finished: float = 0.0  # every acknowledgement back from JetStream

    @property
    def planned_end(self) -> float:
        return self.started + self.planned / self.rate

    def summary(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "planned": self.planned,
            "sent": self.sent,
            "achieved_rate": round(self.achieved_rate, 1),
            "send_lag_max_ms": round(self.send_lag_max * 1000, 1),
            "seconds": round(self.finished - self.started, 1),
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


def _acceptances(plan: Plan, needs_consultation: dict[str, bool]) -> Iterator[Message]:
    """The load's messages, noting in ``needs_consultation`` which matters' targets need a
    consultation: the planned ones serialised before the clock starts (as the relay reads
    ready payloads from its outbox), then more, made when due, for as long as the load runs."""
    drawn = kunshan_acceptances(seed=plan.seed)

    def noted(pairs: Iterable[tuple[TargetKind, MatterAccepted]]) -> Iterator[MatterAccepted]:
        for kind, event in pairs:
            needs_consultation[str(event.matter_id)] = kind.consultation
            yield event

    planned = messages(noted(islice(drawn, plan.matters)), seed=plan.seed)
    traces = random.Random(f"{plan.seed}-more")
    return chain(planned, (relayed(event, traces) for event in noted(drawn)))


async def _publish(
    nc: Client, load: AcceptanceLoad, acceptances: Iterator[Message], kills_outstanding: Callable[[], bool]
) -> None:
    """Publish ``acceptances`` on the load's schedule. The load lasts its planned length, or
    until the last kill if that comes later; what is due once it ends is not sent, so on a
    machine that cannot keep the rate the run still ends in a bounded time."""

    def ended() -> bool:
        planned_done = load.sent >= load.planned or time.monotonic() > load.planned_end
        return planned_done and not kills_outstanding()

    await open_loop(nc, load, acceptances, stop=ended)
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
    load: AcceptanceLoad
    kills: list[WorkerKill]
    self_exits: list[SelfExit]
    needs_consultation: dict[str, bool]  # published matter id → its target needs a consultation
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
    pg: asyncpg.Pool,
) -> tuple[list[SlipRow], list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """From the services' own tables: routing's slips, review's consultations, signing tasks
    and cases."""
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
    return slips, consultations, tasks, cases


async def _start_workers(workers: dict[str, ServiceProcess]) -> dict[str, float]:
    """Start every service's worker side by side; how long each took to be up."""
    started = time.monotonic()
    for worker in workers.values():
        worker.start(wait=False)
    start_up: dict[str, float] = {}

    async def up(spec: KilledWorker) -> None:
        await wait_logged(workers[spec.service], 0, spec.consuming, "its relay and consumers")
        start_up[spec.service] = time.monotonic() - started

    await asyncio.gather(*(up(spec) for spec in KILLED))
    return start_up


async def _run(stack: Stack, plan: Plan, phases: Phases) -> Observation:
    needs_consultation: dict[str, bool] = {}  # matter id → its target needs a consultation
    acceptances = _acceptances(plan, needs_consultation)
    pg = await asyncpg.create_pool(stack.dsn, min_size=1, max_size=4, server_settings=system_server_settings("chaos"))
    nc = await nats.connect(stack.nats.url, name="wenze-chaos")
    probe = Probe(pg, nc.jetstream())
    workers = {service: stack.worker(service) for service in SERVICES}
    kill_log: list[WorkerKill] = []
    self_exits: list[SelfExit] = []
    try:
        await ensure_stream(nc.jetstream(), stream_for("intake"))
        start_up = await _start_workers(workers)
        phases.mark("workers started")
        with progress_bars() as progress:
            consultations_due = sum(needs_consultation.values())
            bars = {
                "published": progress.add_task("acceptances published", total=plan.matters),
                "slips": progress.add_task("routing slips", total=plan.matters),
                "consultations": progress.add_task("consultations opened", total=consultations_due),
                "cases": progress.add_task("cases opened (routed slips)", total=plan.matters - consultations_due),
                "routing": progress.add_task("kill -9 of routing's worker", total=plan.kills),
                "review": progress.add_task("kill -9 of review's worker", total=plan.kills),
            }
            load = AcceptanceLoad(rate=plan.rate, planned=plan.matters)
            stop = asyncio.Event()
            watching = asyncio.create_task(_monitor(progress, bars, probe, load, needs_consultation, kill_log, stop))
            try:
                # A task group: if one of them fails, the others stop too.
                async with asyncio.TaskGroup() as load_and_kills:
                    load_and_kills.create_task(
                        _publish(nc, load, acceptances, lambda: len(kill_log) < len(KILLED) * plan.kills)
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
        # Drained, the workers have nothing left to do and stop as a deployment stops them.
        for worker in workers.values():
            worker.stop()
        phases.mark("workers stopped")
        slips, consultations, tasks, cases = await _observe(pg)
        backlogs = {service: await probe.backlog(service) for service in SERVICES}
        pending = {durable: n for spec in KILLED for durable, n in (await probe.pending(spec)).items()}
    finally:
        for worker in workers.values():
            worker.kill()
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
        load=load,
        kills=kill_log,
        self_exits=self_exits,
        needs_consultation={matter: needs_consultation[matter] for matter in load.scheduled},
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
            consultations = sum(needs_consultation[m] for m in load.scheduled)
            for bar, total in (
                ("published", load.sent),
                ("slips", load.sent),
                ("consultations", consultations),
                ("cases", load.sent - consultations),
            ):
                progress.update(bars[bar], total=total)
        progress.update(bars["published"], completed=load.sent)
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
    published = o.needs_consultation
    slip_of = {s.id: s for s in o.slips}
    consultation_slips = {s.id for s in o.slips if s.state == IN_CONSULTATION}
    routed_slips = {s.id for s in o.slips if s.state == ROUTED}
    as_the_pack_says = sum(
        1
        for s in o.slips
        if s.matter_id in published and s.state == (IN_CONSULTATION if published[s.matter_id] else ROUTED)
    )
    consultations_due = sum(published.values())
    routed_due = len(published) - consultations_due
    slips = tally(published, (s.matter_id for s in o.slips))
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
    accepted_events = tally(published, o.accepted_events.kept)
    kills = {spec.service: [k for k in o.kills if k.service == spec.service] for spec in KILLED}
    load_seconds = o.load.finished - o.load.started
    in_load = sum(1 for k in o.kills if 0 <= k.at_s <= load_seconds)
    achieved, least_rate = round(o.load.achieved_rate, 1), MIN_ACHIEVED_RATE_SHARE * o.plan.rate
    routing, review = kills["routing"], kills["review"]

    def per_worker(predicate: Callable[[WorkerKill], bool]) -> str:
        return f"{sum(map(predicate, routing))} / {sum(map(predicate, review))}"

    planned = f"{o.plan.kills} / {o.plan.kills}"
    mismatched_ids = o.accepted_events.msg_id_mismatches + o.routing_events.msg_id_mismatches
    backlogs = " / ".join(str(o.outbox_backlogs[s]) for s in SERVICES)
    return [
        Check("acceptances published on INTAKE (planned)", f"{o.load.sent:,} ({o.load.planned:,})"),
        Check(
            "  rate: scheduled → achieved (/s)",
            f"{o.plan.rate:g} → {achieved}",
            f"≥ {least_rate:g}",
            achieved >= least_rate,
        ),
        Check("  load length (s)", round(load_seconds, 1)),
        Check("  furthest behind schedule (ms)", round(o.load.send_lag_max * 1000, 1)),
        # The mix must exercise both paths through routing and review.
        Check(
            "  needing a consultation / routed at once",
            f"{consultations_due:,} / {routed_due:,}",
            "both > 0",
            consultations_due > 0 and routed_due > 0,
        ),
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
            "matter.accepted on INTAKE: missing / twice / other", str(accepted_events), NONE_MISSING, accepted_events.ok
        ),
        Check("routing slips", len(o.slips), f"{len(published):,}", len(o.slips) == len(published)),
        Check("  per published acceptance: missing / twice / other", str(slips), NONE_MISSING, slips.ok),
        Check(
            "  routed as the pack says (consultation or not)",
            as_the_pack_says,
            f"{len(published):,}",
            as_the_pack_says == len(o.slips) == len(published),
        ),
        Check(
            "  in consultation / routed at once",
            f"{len(consultation_slips):,} / {len(routed_slips):,}",
            f"{consultations_due:,} / {routed_due:,}",
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
            "outbox backlog at the end (routing / review)",
            backlogs,
            "0 / 0",
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
    with platform_stack(run_dir, {service: {"relay_in_api": "false"} for service in SERVICES}) as stack:
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
        f"[bold]make chaos, routing and review[/]: {plan.matters:,} acceptances published at {plan.rate:g}/s, "
        f"{plan.kills} × kill -9 of routing's worker and {plan.kills} of review's, seed {plan.seed}"
    )
    result = execute(plan, run_dir)
    report_path = write_report("chaos-routing-review", result)
    print_checks(
        "make chaos: routing's and review's workers under kill -9",
        [Check(**c) for c in result["checks"]],
        result["problems"],
        "every published acceptance routed once, every consultation opened once with its tasks, nothing doubled",
        report_path,
    )
    console.print(f"run time: {result['seconds']} s")
    if result["passed"]:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        console.print(f"logs kept in {run_dir}")
    return bool(result["passed"])
