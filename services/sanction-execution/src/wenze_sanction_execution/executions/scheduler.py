"""The worker's deadline scheduler: every few seconds, for each tenant, remind of the deadlines
within their lead time and report those passed, on the tenant's own date.

Nothing is held in memory between rounds: the deadlines and their states are rows, claimed
with ``FOR UPDATE SKIP LOCKED`` and moved by conditional updates in the transaction that
writes their events to the outbox. A worker killed at any moment therefore loses no deadline
and fires none twice, and several workers share the work without waiting on each other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from contextlib import suppress

import structlog

from wenze.db.tenancy import tenant_scope
from wenze.rules import get_pack, list_tenants
from wenze_sanction_execution.executions.service import ExecutionService

log = structlog.get_logger(__name__)


class DeadlineScheduler:
    def __init__(
        self,
        executions: ExecutionService,
        *,
        interval: float,
        batch: int,
        today: Callable[[str], dt.date] | None = None,
    ):
        self.executions = executions
        self.interval = interval
        self.batch = batch
        self.today = today or (lambda tenant: get_pack(tenant).today())

    async def run_once(self) -> dict[str, tuple[int, int]]:
        fired: dict[str, tuple[int, int]] = {}
        for tenant in list_tenants():
            with tenant_scope(tenant):
                fired[tenant] = await self.executions.fire_deadlines(tenant, self.today(tenant), self.batch)
        return fired

    async def run(self, stop: asyncio.Event) -> None:
        log.info("deadline scheduler started", interval=self.interval)
        while not stop.is_set():
            try:
                fired = await self.run_once()
                for tenant, (reminded, missed) in fired.items():
                    if reminded or missed:
                        log.info("deadlines fired", tenant=tenant, reminded=reminded, missed=missed)
            except Exception:
                log.exception("a round of the deadline scheduler failed; the next round tries again")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
