"""The audit log: who did or read what, when and from where, append-only and hash-chained.

An action's transaction only inserts its entries (``audit_log``), each with an id the
database assigns; it takes no lock and reads nothing, so audited actions of one tenant do
not queue behind each other. The chainer (:func:`chain_pending`, run by every service's
worker) links them afterwards into one chain per tenant (``audit_chain``): chain row ``n``
names its entry and holds the hash of row ``n - 1`` and its own, a SHA-256 over a canonical
serialisation of the entry's fields, ``n`` and that previous hash. A row changed or removed
behind the application's back (a superuser can disable the append-only triggers) breaks the
chain from that row on, which :func:`verify_chains` reports.

Ids are assigned at insert, but transactions commit in another order, so an entry with a
lower id can become visible after a higher one was chained. The chain's order is therefore
the order of chaining, not of ids; what verification demands is that every committed entry
is chained exactly once (within a grace period) and that the chain is intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Integer,
    String,
    event,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, among, insert_rows, table_of, utcnow
from wenze.db.tenancy import TenantSession, open_in_scope, system_scope
from wenze.db.together import write_at_commit

GENESIS_HASH = "0" * 64
# How long an entry may stay unchained before verification calls it a failure: the chainer
# runs every second, so only a stopped worker leaves entries waiting this long.
DEFAULT_UNCHAINED_GRACE = dt.timedelta(minutes=5)
# SQLite assigns ids only to an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
_ENTRY_ID = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(_ENTRY_ID, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[dt.datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    object_kind: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(100))
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column()


class AuditChainLink(Base):
    __tablename__ = "audit_chain"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # No foreign key: an entry removed around the triggers must leave its link, for
    # verification to report.
    entry_id: Mapped[int] = mapped_column(_ENTRY_ID, unique=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


AUDIT_LOG = table_of(AuditEntry)
AUDIT_CHAIN = table_of(AuditChainLink)
APPEND_ONLY = ("audit_log", "audit_chain")


def append_only_ddl(dialect: str, table: str) -> list[str]:
    """Triggers that refuse any change to a written row of ``table``; installed by each
    service's migrations and by ``metadata.create_all`` (tests) alike. The PostgreSQL function
    ``audit_log_refuse_change`` serves both tables (the first migration created it)."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


for _table in (AUDIT_LOG, AUDIT_CHAIN):
    for _dialect in ("postgresql", "sqlite"):
        for _statement in append_only_ddl(_dialect, _table.name):
            # DDL formats its text with %: the PL/pgSQL placeholders must survive that.
            ddl = DDL(_statement.replace("%", "%%"))  # type: ignore[no-untyped-call]
            event.listen(_table, "after_create", ddl.execute_if(dialect=_dialect))


@dataclass(frozen=True)
class AuditRecord:
    """One thing to record: who (``actor``, ``office``), did what (``action``) to which object,
    from where (``client_address``), with ``detail``."""

    actor: str
    action: str
    object_kind: str
    object_id: str
    office: str | None = None
    client_address: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# Named, not derived from the tables: a column added later must not change the hash of the
# entries chained before it. ``seq`` and ``previous_hash`` are the chain row's.
_HASHED_FIELDS = (
    "tenant",
    "seq",
    "recorded_at",
    "actor",
    "office",
    "action",
    "object_kind",
    "object_id",
    "client_address",
    "detail",
    "previous_hash",
)
_CONTENT = [AUDIT_LOG.c[name] for name in _HASHED_FIELDS if name not in ("seq", "previous_hash")]


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over the entry's fields, its place in the chain and the previous hash,
    serialised canonically (sorted keys, no whitespace, UTC timestamp in ISO 8601), so the
    same entry at the same place always hashes the same."""
    canonical = {name: entry[name] for name in _HASHED_FIELDS}
    canonical["recorded_at"] = entry["recorded_at"].astimezone(dt.UTC).isoformat()
    serialised = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialised.encode()).hexdigest()


class AuditRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def append(self, tenant: str, records: Sequence[AuditRecord]) -> None:
        """Insert ``records`` as ``tenant``'s entries in the session's transaction (not
        committed); the chainer links them once they are committed."""
        await insert_rows(self.session, AUDIT_LOG, entry_rows(tenant, records))

    def append_at_commit(self, tenant: str, records: Sequence[AuditRecord]) -> None:
        """``append``, staged for the unit of work's commit (``wenze.db.together``)."""
        write_at_commit(self.session, AUDIT_LOG, entry_rows(tenant, records))


def entry_rows(tenant: str, records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    """``records`` as rows of ``tenant``'s audit log, recorded now."""
    now = utcnow()
    return [
        {
            "tenant": tenant,
            "recorded_at": now,
            "actor": record.actor,
            "office": record.office,
            "action": record.action,
            "object_kind": record.object_kind,
            "object_id": record.object_id,
            "client_address": record.client_address,
            "detail": record.detail,
        }
        for record in records
    ]


def _unchained() -> Any:
    return ~exists().where(AUDIT_CHAIN.c.entry_id == AUDIT_LOG.c.id)


def _unchained_among(session: AsyncSession, ids: Sequence[int] | None) -> Any:
    """Unchained entries, of ``ids`` only when given."""
    return _unchained() if ids is None else among(session, AUDIT_LOG.c.id, ids) & _unchained()


async def newest_entry_id(engine: AsyncEngine) -> int:
    """The highest id any committed entry has been given so far (0 for none)."""
    async with _chainer_session(engine) as session:
        return int(await session.scalar(select(func.coalesce(func.max(AUDIT_LOG.c.id), 0))) or 0)


async def committed_entry_ids(engine: AsyncEngine, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` name committed entries, each a look-up in the primary key."""
    if not ids:
        return set()
    async with _chainer_session(engine) as session:
        return set((await session.scalars(select(AUDIT_LOG.c.id).where(among(session, AUDIT_LOG.c.id, ids)))).all())


@contextlib.asynccontextmanager
async def _chainer_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    with system_scope("audit chainer"):
        async with async_sessionmaker(engine, sync_session_class=TenantSession)() as session:
            open_in_scope(session)
            yield session


class ChainWatch:
    """Which entries a pass of the chainer looks at, by id: those given since the last pass, and
    those whose id was given before it but whose transaction had not committed then (gaps), for
    ``horizon`` seconds. An entry's transaction commits moments after its id is drawn; a gap that
    outlives the horizon was rolled back, or is left to the next full pass (``chain_pending``
    without ``ids``), which the chainer runs every few minutes.

    By id, a pass costs what is new, whatever the planner knows of the table. Passes used to look
    for unchained entries above a floor a horizon old: an anti-join over everything given in
    that time, every second in every worker, which under a bulk import (a table that grew faster
    than it was analysed) was the largest statement PostgreSQL ran (docs/operations/benchmarks.md)."""

    def __init__(self, horizon: float, seen_up_to: int):
        self.horizon = horizon
        self.seen_up_to = seen_up_to
        self._gaps: dict[int, float] = {}  # id → when it was first found missing

    def candidates(self, newest: int) -> list[int]:
        """The ids a pass looks at when ``newest`` is the highest id committed."""
        return sorted({*self._gaps, *range(self.seen_up_to + 1, newest + 1)})

    def passed(self, now: float, newest: int, committed: Collection[int]) -> None:
        """After a pass over ``candidates(newest)``, of which ``committed`` were committed."""
        for entry_id in range(self.seen_up_to + 1, newest + 1):
            self._gaps.setdefault(entry_id, now)
        self._gaps = {i: t for i, t in self._gaps.items() if i not in committed and t > now - self.horizon}
        self.seen_up_to = max(self.seen_up_to, newest)


async def chain_pending(
    engine: AsyncEngine, tenant: str | None = None, *, ids: Sequence[int] | None = None, batch_size: int = 1000
) -> int:
    """Link every committed, unchained entry of ``tenant`` (or of every tenant) into its
    tenant's chain, batch after batch until none is left; returns how many were linked. With
    ``ids``, only the entries of those ids are looked at, each a look-up in the primary key.
    Runs in system scope: the chainer serves every tenant, and names each in its statements."""
    chained = 0
    if tenant is None:
        async with _chainer_session(engine) as session:
            found = select(AUDIT_LOG.c.tenant).where(_unchained_among(session, ids)).distinct()
            tenants = list((await session.scalars(found)).all())
    else:
        tenants = [tenant]
    for chain in tenants:
        while True:
            async with _chainer_session(engine) as session, session.begin():
                linked = await _chain_batch(session, chain, ids, batch_size)
            chained += linked
            if linked < batch_size:
                break
    return chained


async def _chain_batch(session: AsyncSession, tenant: str, ids: Sequence[int] | None, batch_size: int) -> int:
    await _lock_chain(session, tenant)
    head = (
        await session.execute(
            select(AUDIT_CHAIN.c.seq, AUDIT_CHAIN.c.entry_hash)
            .where(AUDIT_CHAIN.c.tenant == tenant)
            .order_by(AUDIT_CHAIN.c.seq.desc())
            .limit(1)
        )
    ).first()
    seq, previous = (head[0], head[1]) if head is not None else (0, GENESIS_HASH)
    entries = (
        await session.execute(
            select(AUDIT_LOG.c.id, *_CONTENT)
            .where(AUDIT_LOG.c.tenant == tenant, _unchained_among(session, ids))
            .order_by(AUDIT_LOG.c.id)
            .limit(batch_size)
        )
    ).mappings()
    links = []
    for entry in entries:
        seq += 1
        content = {**entry, "seq": seq, "previous_hash": previous}
        links.append(
            {
                "tenant": tenant,
                "seq": seq,
                "entry_id": entry["id"],
                "previous_hash": previous,
                "entry_hash": (previous := entry_hash(content)),
            }
        )
    if links:
        await session.execute(insert(AUDIT_CHAIN), links)
    return len(links)


async def _lock_chain(session: AsyncSession, tenant: str) -> None:
    """One chainer per tenant at a time (several workers run one), so two never extend the
    same head; the primary key ``(tenant, seq)`` would refuse a fork all the same. The lock is
    the service's own (its schema in the key): services sharing a database keep separate chains
    and must not queue behind each other's chainers."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || :key, 0))"),
            {"key": f":audit_chain:{tenant}"},
        )
    else:
        # SQLite has one writer: a write statement (this one changes no row) takes the
        # database's write lock until the transaction ends, before the head is read.
        await session.execute(
            update(AUDIT_CHAIN)
            .where(AUDIT_CHAIN.c.tenant == tenant, AUDIT_CHAIN.c.seq < 0)
            .values(seq=AUDIT_CHAIN.c.seq)
        )


@dataclass(frozen=True)
class ChainReport:
    """One tenant's chain: how many links were checked, the first broken one if any, and the
    entries not chained yet (how many, the oldest's time, whether it is past the grace period)."""

    tenant: str
    entries: int
    broken_at: int | None = None
    problem: str | None = None
    unchained: int = 0
    oldest_unchained: dt.datetime | None = None
    overdue: bool = False

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    @property
    def sound(self) -> bool:
        """Intact, and no entry has waited longer than the grace period to be chained."""
        return self.intact and not self.overdue


async def verify_chains(
    connection: AsyncConnection, tenant: str | None = None, *, grace: dt.timedelta = DEFAULT_UNCHAINED_GRACE
) -> list[ChainReport]:
    """Walk each tenant's chain (or only ``tenant``'s), report its first broken link, and count
    the entries not in it. Chains nothing."""
    entry = AUDIT_LOG.alias("entry")
    statement = (
        select(AUDIT_CHAIN, entry.c.id.label("found_id"), entry.c.tenant.label("entry_tenant"))
        .add_columns(*[entry.c[c.name] for c in _CONTENT if c.name != "tenant"])
        .select_from(AUDIT_CHAIN.outerjoin(entry, entry.c.id == AUDIT_CHAIN.c.entry_id))
        .order_by(AUDIT_CHAIN.c.tenant, AUDIT_CHAIN.c.seq)
        .execution_options(yield_per=2000)
    )
    if tenant is not None:
        statement = statement.where(AUDIT_CHAIN.c.tenant == tenant)
    reports: dict[str, ChainReport] = {}
    expected_seq, previous = 1, GENESIS_HASH
    seen: set[int] = set()
    async for link in (await connection.stream(statement)).mappings():
        chain = link["tenant"]
        if chain not in reports:
            reports[chain] = ChainReport(chain, 0)
            expected_seq, previous, seen = 1, GENESIS_HASH, set()
        report = reports[chain]
        if not report.intact:
            continue
        problem = _broken_link(link, expected_seq, previous, seen)
        reports[chain] = ChainReport(chain, report.entries + 1, None if problem is None else link["seq"], problem)
        expected_seq, previous = expected_seq + 1, link["entry_hash"]
        seen.add(link["entry_id"])
    pending = (
        select(AUDIT_LOG.c.tenant, func.count(), func.min(AUDIT_LOG.c.recorded_at))
        .where(_unchained())
        .group_by(AUDIT_LOG.c.tenant)
    )
    if tenant is not None:
        pending = pending.where(AUDIT_LOG.c.tenant == tenant)
    now = utcnow()
    for chain, count, oldest in (await connection.execute(pending)).all():
        report = reports.get(chain, ChainReport(chain, 0))
        oldest = _aware(oldest)
        reports[chain] = ChainReport(
            chain,
            report.entries,
            report.broken_at,
            report.problem,
            unchained=count,
            oldest_unchained=oldest,
            overdue=now - oldest > grace,
        )
    return sorted(reports.values(), key=lambda r: r.tenant)


def _aware(moment: dt.datetime | str) -> dt.datetime:
    # SQLite may hand an aggregate back as the text it stored; the entries were written in UTC.
    parsed = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _broken_link(link: Any, expected_seq: int, previous: str, seen: set[int]) -> str | None:
    if link["seq"] != expected_seq:
        return f"sequence number {link['seq']} found where {expected_seq} was expected (chain links missing)"
    if link["previous_hash"] != previous:
        return "its previous hash does not match the link before it (that link was changed or removed)"
    if link["found_id"] is None:
        return f"its entry (id {link['entry_id']}) is missing (the entry was removed)"
    if link["entry_id"] in seen:
        return f"its entry (id {link['entry_id']}) is chained twice"
    if link["entry_tenant"] != link["tenant"]:
        return "its entry belongs to another tenant (the entry was changed)"
    if entry_hash(dict(link)) != link["entry_hash"]:
        return "its content does not match its hash (the entry was changed)"
    return None
