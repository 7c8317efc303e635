"""The routing-and-review chaos run's verdict: each way a matter can be lost or doubled fails
the check that names it, and a clean run fails none."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

import pytest

from wenze_devtools.chaos.common import StreamRead
from wenze_devtools.chaos.routing_review import (
    AcceptanceLoad,
    Observation,
    Phases,
    Plan,
    SlipRow,
    WorkerKill,
    checks,
)

OFFICES = ["party_conduct_office", "case_management_office", "case_trial_office"]
# Two matters: m1 (a city-managed cadre) in consultation on slip s1, m2 routed on slip s2.
PLAN = Plan(rate=10, seconds=1, kills=1)


def _kill(service: str, at_s: float = 0.5, exit_code: int = -9) -> WorkerKill:
    return WorkerKill(service, 1, at_s, 0.3, 4, 1, 2, exit_code, 0.2)


def _stream(kept: list, event_ids: list[str]) -> StreamRead:
    return StreamRead(stream_messages=len(kept), read=len(kept), kept=kept, event_ids=Counter(event_ids))


def _clean() -> Observation:
    load = AcceptanceLoad(
        rate=10,
        planned=2,
        started=100.0,
        scheduled={"m1": 100.0, "m2": 100.1},
        sent=2,
        send_seconds=0.2,
        finished=102.0,
    )
    return Observation(
        plan=PLAN,
        load=load,
        kills=[_kill("routing"), _kill("review", at_s=1.5)],
        self_exits=[],
        needs_consultation={"m1": True, "m2": False},
        accepted_events=_stream(["m1", "m2"], ["e1", "e2"]),
        routing_events=_stream([("consultation_requested", "s1"), ("routed", "s2")], ["e3", "e4"]),
        slips=[SlipRow("s1", "m1", "in_consultation", OFFICES), SlipRow("s2", "m2", "routed", [])],
        consultations=[("c1", "s1")],
        signing_tasks=[("c1", office) for office in OFFICES],
        cases=["s2"],
        outbox_backlogs={"routing": 0, "review": 0},
        events_pending={"routing-accepted": 0, "review-matter-routed": 0},
        drained=True,
        phases=Phases(),
    )


def _failed(observation: Observation) -> set[str]:
    return {c.label.strip() for c in checks(observation) if c.passed is False}


def test_a_clean_run_passes_every_check() -> None:
    rows = checks(_clean())
    assert [c.label for c in rows if c.passed is False] == []
    assert sum(1 for c in rows if c.passed) >= 15


def _slip_twice(o: Observation) -> None:
    o.slips.append(SlipRow("s3", "m2", "routed", []))
    o.routing_events.kept.append(("routed", "s3"))
    o.cases.append("s3")


def _slip_lost(o: Observation) -> None:
    o.slips.pop()
    o.routing_events.kept.pop()
    o.cases.pop()


def _routed_twice(o: Observation) -> None:
    o.routing_events.kept.append(("routed", "s2"))


def _consultation_twice(o: Observation) -> None:
    o.consultations.append(("c2", "s1"))
    o.signing_tasks.extend(("c2", office) for office in OFFICES)


def _task_twice(o: Observation) -> None:
    o.signing_tasks.append(("c1", OFFICES[0]))


def _task_missing(o: Observation) -> None:
    o.signing_tasks.pop()


def _case_lost(o: Observation) -> None:
    o.cases.clear()


def _routed_against_the_pack(o: Observation) -> None:
    o.needs_consultation.update(m1=False, m2=True)


def _acceptance_published_twice(o: Observation) -> None:
    o.accepted_events.kept.append("m1")


def _slip_for_a_matter_never_published(o: Observation) -> None:
    o.slips.append(SlipRow("s9", "m9", "routed", []))
    o.routing_events.kept.append(("routed", "s9"))
    o.cases.append("s9")


def _no_consultation_in_the_mix(o: Observation) -> None:
    o.needs_consultation["m1"] = False
    o.slips[0] = SlipRow("s1", "m1", "routed", [])
    o.routing_events.kept[0] = ("routed", "s1")
    o.consultations.clear()
    o.signing_tasks.clear()
    o.cases.append("s1")


def _rate_not_kept(o: Observation) -> None:
    o.load.send_seconds = 0.4


def _kill_missed(o: Observation) -> None:
    o.kills[0] = _kill("routing", exit_code=0)


def _kill_after_the_load(o: Observation) -> None:
    o.kills[1] = _kill("review", at_s=5.0)


def _backlog_left(o: Observation) -> None:
    o.outbox_backlogs["routing"] = 3


def _consumer_behind(o: Observation) -> None:
    o.events_pending["review-matter-routed"] = 1
    o.drained = False


def _msg_id_not_event_id(o: Observation) -> None:
    o.routing_events = dataclasses.replace(o.routing_events, msg_id_mismatches=1)


@pytest.mark.parametrize(
    ("fault", "failing"),
    [
        (_slip_twice, {"routing slips", "per published acceptance", "routed as the pack says"}),
        (
            _slip_lost,
            {"routing slips", "per published acceptance", "routed as the pack says"},
        ),
        (_routed_twice, {"matter.routed on ROUTING, per routed slip"}),
        (_consultation_twice, {"consultations (review)", "per consultation slip: missing / twice / other"}),
        (_task_twice, {"signing tasks", "per participant office: missing / twice / other"}),
        (_task_missing, {"signing tasks", "per participant office: missing / twice / other"}),
        (_case_lost, {"cases (review), per routed slip"}),
        (_routed_against_the_pack, {"routed as the pack says"}),
        (_acceptance_published_twice, {"matter.accepted on INTAKE"}),
        (_slip_for_a_matter_never_published, {"routing slips", "per published acceptance", "routed as the pack says"}),
        (_no_consultation_in_the_mix, {"needing a consultation / routed at once"}),
        (_rate_not_kept, {"rate: scheduled → achieved"}),
        (_kill_missed, {"kill -9 of the worker (routing / review)"}),
        (_kill_after_the_load, {"kills during the acceptance load"}),
        (_backlog_left, {"outbox backlog at the end (routing / review)"}),
        (_consumer_behind, {"events not yet consumed at the end"}),
        (_msg_id_not_event_id, {"Nats-Msg-Id other than the event id"}),
    ],
)
def test_each_fault_fails_the_check_that_names_it(fault: Callable[[Observation], None], failing: set[str]) -> None:
    observation = _clean()
    fault(observation)
    failed = _failed(observation)
    assert {label for label in failed if any(label.startswith(f) for f in failing)} == failed
    assert all(any(label.startswith(f) for label in failed) for f in failing)
