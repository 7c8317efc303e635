from wenze_devtools.bench.rules import run_rules_bench


def test_bench_reports_throughput_and_latency() -> None:
    result = run_rules_bench(0.2)
    assert result["decisions_per_second"] > 0
    assert 0 < result["p50_latency_us"] <= result["p99_latency_us"]
    assert result["samples"] >= 100
