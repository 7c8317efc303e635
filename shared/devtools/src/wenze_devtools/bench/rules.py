"""Throughput and latency of routing decisions, for ``make bench``.

Runs on the calling thread (one core): a mix of Kunshan routing facts covering every
handler branch is evaluated round-robin, explanation included, for ``seconds``; then single
evaluations are timed one by one for the p99 latency.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from wenze.rules import get_pack

ON = date(2026, 4, 30)
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


def run_rules_bench(seconds: float = 2.0, tenant: str = "kunshan", decision: str = "routing") -> dict[str, Any]:
    pack = get_pack(tenant)
    evaluate = pack.evaluate
    for facts in FACTS:  # warm up and fail fast on a broken pack
        evaluate(decision, facts, ON)
    n = len(FACTS)
    count = 0
    deadline = time.perf_counter() + seconds / 2
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for i in range(1000):
            evaluate(decision, FACTS[i % n], ON)
        count += 1000
    elapsed = time.perf_counter() - start
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds / 2
    i = 0
    while time.perf_counter() < deadline or len(latencies) < 100:
        t0 = time.perf_counter_ns()
        evaluation = evaluate(decision, FACTS[i % n], ON)
        _ = evaluation.explanation
        latencies.append((time.perf_counter_ns() - t0) / 1000)
        i += 1
    latencies.sort()
    return {
        "benchmark": f"rules.{tenant}.{decision}",
        "decisions_per_second": round(count / elapsed),
        "p50_latency_us": round(latencies[len(latencies) // 2], 1),
        "p99_latency_us": round(latencies[int(len(latencies) * 0.99)], 1),
        "samples": len(latencies),
        "goal_decisions_per_second": 20000,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run_rules_bench(), indent=2))
