"""``make chaos``'s routing-and-review scenario end to end at a tiny scale: a private stack,
acceptances published to stream INTAKE as intake's relay publishes them, routing's and
review's workers really killed, and the services' tables and streams really checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenze_devtools.chaos.routing_review import Plan, execute

pytestmark = pytest.mark.integration


@pytest.mark.timeout(240)
def test_routing_and_review_workers_killed_under_load_lose_and_double_nothing(tmp_path: Path) -> None:
    plan = Plan(rate=5, seconds=6, kills=1, seed=2)

    report = execute(plan, tmp_path)

    assert report["problems"] == [] and report["passed"], report["problems"]
    kills = report["kill_log"]
    assert sorted(k["service"] for k in kills) == ["review", "routing"]
    assert all(k["exit_code"] == -9 for k in kills), kills
    rows = {c["label"].strip(): c for c in report["checks"]}
    published = report["acceptances"]["sent"]
    assert published >= plan.matters
    # Every published acceptance went through routing, and the mix put some in consultation.
    assert rows["routing slips"]["value"] == published
    in_consultation, routed = (
        int(n.replace(",", "")) for n in rows["in consultation / routed at once"]["value"].split(" / ")
    )
    assert in_consultation > 0 and routed > 0 and in_consultation + routed == published
    assert rows["consultations (review)"]["value"] == in_consultation
    assert rows["signing tasks"]["value"] == 5 * in_consultation  # Kunshan's five participant offices
