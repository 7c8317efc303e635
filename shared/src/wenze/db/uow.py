"""The unit of work: the only place that commits.

Repositories receive the session; services open a unit of work, call repositories and add
events to the outbox, then commit once, so a state change and its event land together.

A unit of work belongs to the tenant scope in force when it opens (``wenze.db.tenancy``):
on PostgreSQL each of its transactions sets ``wenze.tenant`` to that tenant, so row-level
security admits that tenant's rows only, and none when no tenant was bound.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from wenze.db.outbox import HAND_OVER_LEASE, OUTBOX, OutboxRecord, commit_without_waking_the_relay
from wenze.db.tenancy import TenantScope, TenantSession, current_scope, open_in_scope, system_scope
from wenze.db.together import insert_together, take_staged
from wenze.events.base import Event

R = TypeVar("R")

# Sends the outbox rows of a commit that has just succeeded (``OutboxRelay.send_committed``).
HandOver = Callable[[list[dict[str, Any]]], Awaitable[None]]
# A commit with more rows than this leaves them to the relay's claim: a bulk transaction's
# events go out in the relay's batches, in the order they were written.
HAND_OVER_MAX_ROWS = 100


class UnitOfWork(Generic[R]):
    def __init__(self, session: AsyncSession, repositories: R, hand_over: HandOver | None = None):
        self.session = session
        self.repos = repositories
        self._events: list[Event] = []
        self._hand_over = hand_over

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``: for the few statements each database writes its own way."""
        return self.session.get_bind().dialect.name

    def publish(self, event: Event) -> None:
        """Queue an event for the outbox; it is written in this transaction."""
        self._events.append(event)

    async def commit(self) -> None:
        rows = OutboxRecord.rows_for(self._events) if self._events else []
        self._events.clear()
        hand_over = self._hand_over if rows and len(rows) <= HAND_OVER_MAX_ROWS else None
        if hand_over is not None:
            # Claimable by any relay only once the one they are handed to has had its chance.
            for row in rows:
                row["created_at"] += HAND_OVER_LEASE
        # Multi-row inserts, in one statement with the rows repositories staged for the commit
        # (``wenze.db.together``): the ORM unit of work cost more per outbox row than the insert.
        await insert_together(self.session, [*take_staged(self.session), (OUTBOX, rows)])
        if hand_over is None:
            await self.session.commit()
            return
        # The rows go to the relay directly: its claim has nothing to take.
        await commit_without_waking_the_relay(self.session)
        await hand_over(rows)

    async def rollback(self) -> None:
        self._events.clear()
        take_staged(self.session)
        await self.session.rollback()


class UnitOfWorkFactory(Generic[R]):
    """Builds units of work for one service: ``async with units_of_work() as uow: ...``."""

    def __init__(self, engine: AsyncEngine, make_repositories: Callable[[AsyncSession], R]):
        self.engine = engine
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=False, sync_session_class=TenantSession
        )
        self._make_repositories = make_repositories
        # Set by the process's outbox relay while it runs (``OutboxRelay.run``).
        self.hand_over: HandOver | None = None

    def __call__(self) -> _UowContext[R]:
        """A unit of work in the current tenant scope."""
        return _UowContext(self)

    def system(self, job: str) -> _UowContext[R]:
        """A unit of work over every tenant's rows, for the system job ``job`` (the import job
        runner, say). Refused in an HTTP request or a tenant's scope (``ScopeRefused``)."""
        with system_scope(job) as scope:
            return _UowContext(self, scope)


class _UowContext(Generic[R]):
    def __init__(self, factory: UnitOfWorkFactory[R], scope: TenantScope | None = None):
        self._factory = factory
        self._scope = scope
        self._uow: UnitOfWork[R] | None = None

    async def __aenter__(self) -> UnitOfWork[R]:
        session = self._factory._sessions()
        open_in_scope(session, self._scope if self._scope is not None else current_scope())
        self._uow = UnitOfWork(session, self._factory._make_repositories(session), self._factory.hand_over)
        return self._uow

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._uow is not None
        try:
            # Anything not committed explicitly is discarded: no half-written state.
            await self._uow.rollback()
        finally:
            await self._uow.session.close()
