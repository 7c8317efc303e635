"""A closed-loop HTTP load: a fixed number of keep-alive clients, each sending back to back."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class LoadResult:
    label: str
    seconds: float
    ok: int
    errors: int
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    @classmethod
    def combine(cls, parts: list[LoadResult]) -> LoadResult:
        """One result from several measured rounds of the same endpoint."""
        statuses: dict[int, int] = {}
        for part in parts:
            for status, count in part.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        return cls(
            label=parts[0].label,
            seconds=sum(p.seconds for p in parts),
            ok=sum(p.ok for p in parts),
            errors=sum(p.errors for p in parts),
            latencies_ms=[ms for p in parts for ms in p.latencies_ms],
            statuses=statuses,
        )

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "seconds": round(self.seconds, 2),
            "ok": self.ok,
            "errors": self.errors,
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "statuses": self.statuses,
        }


async def closed_loop(
    label: str,
    url: str,
    template: dict[str, Any],
    *,
    concurrency: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    warmup_seconds: float = 2.0,
) -> LoadResult:
    """POST ``template`` (with a unique ``source_reference`` each time) for ``seconds``.

    Every sender waits for its answer before sending again, so the figure is what the server
    sustains at this concurrency, not what a queue in front of it could absorb.
    """
    counter = itertools.count()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def sender(client: httpx.AsyncClient, until: float, record: bool) -> None:
        while time.monotonic() < until:
            body = copy.copy(template)
            body["source_reference"] = f"{template['source_reference']}-{next(counter)}"
            started = time.perf_counter()
            try:
                response = await client.post(url, json=body)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            if record:
                if 200 <= status < 300:
                    latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    async with httpx.AsyncClient(limits=limits, headers=headers or {}, timeout=60) as client:
        # Warm-up opens the connections and fills the server's caches and pools.
        until = time.monotonic() + warmup_seconds
        await asyncio.gather(*(sender(client, until, False) for _ in range(concurrency)))
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(sender(client, until, True) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return LoadResult(
        label=label,
        seconds=elapsed,
        ok=ok,
        errors=sum(statuses.values()) - ok,
        latencies_ms=latencies,
        statuses=statuses,
    )
