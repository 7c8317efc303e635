"""The rules engine against a hand-written function of the same decision, for ``make bench``.

Both run on the calling thread (one core) over the same mix of Kunshan routing facts,
covering every handler branch: the engine (``RulePack.evaluate``, whose evaluation builds its
explanation records when they are read) and :class:`KunshanRouting`, the same decision as
plain ``if`` statements building its explanation record as it goes. Absolute rates on these
shared machines move several-fold between runs, so the two sides alternate in short rounds
and the figure is the median of the per-round ratios. Then single evaluations are timed one
by one, explanation read, for the p99 latency.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from wenze.rules import Evaluation, get_pack
from wenze_devtools.bench.kunshan_routing import KunshanRouting

ON = date(2026, 4, 30)
RATIO_GOAL = 0.3
ROUND_SECONDS = 0.25
FACTS: list[dict[str, Any]] = [
    {"target_kind": "person", "cadre_level": "city_managed", "sector": "city_department", "proposed_forms": ["form_2"]},
    {
        "target_kind": "person",
        "cadre_level": "city_managed",
        "sector": "state_enterprise",
        "proposed_forms": ["form_3"],
    },
    {
        "target_kind": "person",
        "cadre_level": "city_managed",
        "sector": "district_town",
        "proposed_forms": ["form_1", "form_3"],
    },
    {"target_kind": "organisation", "organisation_level": "township_section", "sector": "district_town"},
    {
        "target_kind": "person",
        "cadre_level": "not_city_managed",
        "sector": "district_town",
        "proposed_forms": ["form_1"],
    },
    {
        "target_kind": "organisation",
        "organisation_level": "below_township_section",
        "sector": "direct_unit",
        "key_supervised": True,
    },
    {"target_kind": "unknown", "sector": "city_department"},
]


def _rate(decide: Callable[[dict[str, Any]], object], seconds: float) -> float:
    n = len(FACTS)
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for i in range(210):
            decide(FACTS[i % n])
        count += 210
    return count / (time.perf_counter() - start)


def run_rules_bench(seconds: float = 2.0, tenant: str = "kunshan", decision: str = "routing") -> dict[str, Any]:
    pack = get_pack(tenant)
    by_hand = KunshanRouting()

    def engine(facts: dict[str, Any]) -> Evaluation:
        return pack.evaluate(decision, facts, ON)

    for facts in FACTS:  # warm up and fail fast on a broken pack
        evaluation = engine(facts)
        if (evaluation.outcome, [f.rule for f in evaluation.explanation]) != (
            (hand := by_hand(facts))[0],
            [f["rule"] for f in hand[1]],
        ):
            raise RuntimeError(f"the hand-written routing disagrees with the pack for {facts}")
    rounds = max(2, int(seconds / 2 / (2 * ROUND_SECONDS)))
    engine_rates: list[float] = []
    hand_rates: list[float] = []
    for round_ in range(rounds):
        sides = ((engine, engine_rates), (by_hand, hand_rates))
        for decide, rates in sides if round_ % 2 == 0 else reversed(sides):
            rates.append(_rate(decide, ROUND_SECONDS))
    ratios = [e / h for e, h in zip(engine_rates, hand_rates, strict=True)]
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds / 2
    i = 0
    while time.perf_counter() < deadline or len(latencies) < 100:
        t0 = time.perf_counter_ns()
        _ = pack.evaluate(decision, FACTS[i % len(FACTS)], ON).explanation
        latencies.append((time.perf_counter_ns() - t0) / 1000)
        i += 1
    latencies.sort()
    ratio = statistics.median(ratios)
    return {
        "benchmark": f"rules.{tenant}.{decision}",
        "decisions_per_second": round(statistics.median(engine_rates)),
        "hand_written_per_second": round(statistics.median(hand_rates)),
        "ratio": round(ratio, 3),
        "ratios": [round(r, 3) for r in ratios],
        "goal_ratio": RATIO_GOAL,
        "p50_latency_us": round(latencies[len(latencies) // 2], 1),
        "p99_latency_us": round(latencies[int(len(latencies) * 0.99)], 1),
        "samples": len(latencies),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run_rules_bench(), indent=2))
