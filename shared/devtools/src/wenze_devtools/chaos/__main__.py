"""``python -m wenze_devtools.chaos``: run the chaos scenarios (both unless one is chosen)."""

from __future__ import annotations

import time
from enum import Enum
from typing import Annotated

import typer

from wenze_devtools.chaos import execution_deadlines, intake_relay, routing_review
from wenze_devtools.chaos.common import console


class Scenario(str, Enum):
    all = "all"
    intake_relay = "intake-relay"
    routing_review = "routing-review"
    execution_deadlines = "execution-deadlines"


def main(
    scenario: Annotated[Scenario, typer.Option(help="which scenario to run")] = Scenario.all,
    seed: Annotated[int, typer.Option(help="seed for kill moments, pauses and matter contents")] = 7,
    matters: Annotated[int, typer.Option(min=1, help="intake-relay: matters to bulk-submit")] = 20_000,
    kills: Annotated[int, typer.Option(min=0, max=1000, help="intake-relay: times to kill -9 intake's worker")] = 20,
    rate: Annotated[float, typer.Option(min=1.0, help="routing-review: acceptances published per second")] = 200.0,
    seconds: Annotated[
        float, typer.Option(min=1.0, help="routing-review: seconds of acceptances at that rate")
    ] = 150.0,
    worker_kills: Annotated[
        int, typer.Option(min=0, max=1000, help="routing-review: times to kill -9 each of the two workers")
    ] = 20,
    decisions: Annotated[int, typer.Option(min=2, help="execution-deadlines: decisions whose deadlines fire")] = 2_000,
    execution_kills: Annotated[
        int, typer.Option(min=0, max=1000, help="execution-deadlines: times to kill -9 the execution worker")
    ] = 10,
) -> None:
    """Kill workers with kill -9 under load; check that nothing is lost or applied twice."""
    started = time.monotonic()
    passed = []
    if scenario in (Scenario.all, Scenario.intake_relay):
        passed.append(intake_relay.run_scenario(matters=matters, kills=kills, seed=seed))
    if scenario in (Scenario.all, Scenario.routing_review):
        plan = routing_review.Plan(rate=rate, seconds=seconds, kills=worker_kills, seed=seed)
        passed.append(routing_review.run_scenario(plan))
    if scenario in (Scenario.all, Scenario.execution_deadlines):
        passed.append(execution_deadlines.run_scenario(decisions_count=decisions, kills=execution_kills, seed=seed))
    console.print(f"make chaos took {time.monotonic() - started:.0f} s")
    if not all(passed):
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
