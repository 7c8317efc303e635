"""The audit log: who did or read what, when and from where, append-only and hash-chained.

Each tenant's entries form one chain: entry ``n`` stores the hash of entry ``n - 1`` and its
own hash, a SHA-256 over a canonical serialisation of its fields and that previous hash. A
row changed or removed behind the application's back (a superuser can disable the
append-only triggers) breaks the chain from that row on, which :func:`verify_chains` reports.

Entries are appended in the caller's transaction, so an action and its entry commit
together. Appenders of one tenant are serialised for the rest of the transaction (an
advisory lock on PostgreSQL, SQLite's single writer), so two transactions never both extend
the same head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DDL, BigInteger, String, event, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, table_of, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[dt.datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    object_kind: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(100))
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column()
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


AUDIT_LOG = table_of(AuditEntry)

# Triggers that refuse any change to a written entry, per dialect; installed by each
# service's migration and by ``metadata.create_all`` (tests) alike.
APPEND_ONLY_DDL: dict[str, list[str]] = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
    ],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        # DDL formats its text with %: the PL/pgSQL placeholder must survive that.
        ddl = DDL(_statement.replace("%", "%%"))  # type: ignore[no-untyped-call]
        event.listen(AUDIT_LOG, "after_create", ddl.execute_if(dialect=_dialect))


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


# Named, not derived from the table: a column added later must not change the hash of the
# entries written before it.
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


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over the entry's fields and previous hash, serialised canonically (sorted keys,
    no whitespace, UTC timestamp in ISO 8601), so the same entry always hashes the same."""
    canonical = {name: entry[name] for name in _HASHED_FIELDS}
    canonical["recorded_at"] = entry["recorded_at"].astimezone(dt.UTC).isoformat()
    serialised = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialised.encode()).hexdigest()


class AuditRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def append(self, tenant: str, records: Sequence[AuditRecord]) -> None:
        """Append ``records`` to ``tenant``'s chain in the session's transaction (not committed)."""
        if not records:
            return
        await self._lock_chain(tenant)
        head = (
            await self.session.execute(
                select(AUDIT_LOG.c.seq, AUDIT_LOG.c.entry_hash)
                .where(AUDIT_LOG.c.tenant == tenant)
                .order_by(AUDIT_LOG.c.seq.desc())
                .limit(1)
            )
        ).first()
        seq, previous = (head[0], head[1]) if head is not None else (0, GENESIS_HASH)
        now = utcnow()
        rows = []
        for record in records:
            seq += 1
            row = {
                "tenant": tenant,
                "seq": seq,
                "recorded_at": now,
                "actor": record.actor,
                "office": record.office,
                "action": record.action,
                "object_kind": record.object_kind,
                "object_id": record.object_id,
                "client_address": record.client_address,
                "detail": record.detail,
                "previous_hash": previous,
            }
            row["entry_hash"] = previous = entry_hash(row)
            rows.append(row)
        await self.session.execute(insert(AUDIT_LOG), rows)

    async def _lock_chain(self, tenant: str) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"audit_log:{tenant}"}
            )
        else:
            # SQLite has one writer: a write statement (this one changes no row) takes the
            # database's write lock until the transaction ends, before the head is read.
            await self.session.execute(
                update(AUDIT_LOG).where(AUDIT_LOG.c.tenant == tenant, AUDIT_LOG.c.seq < 0).values(seq=AUDIT_LOG.c.seq)
            )


@dataclass(frozen=True)
class ChainReport:
    """One tenant's chain: how many entries were checked, and the first broken link if any."""

    tenant: str
    entries: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify_chains(connection: AsyncConnection, tenant: str | None = None) -> list[ChainReport]:
    """Walk each tenant's chain (or only ``tenant``'s) and report its first broken link."""
    statement = select(AUDIT_LOG).order_by(AUDIT_LOG.c.tenant, AUDIT_LOG.c.seq).execution_options(yield_per=2000)
    if tenant is not None:
        statement = statement.where(AUDIT_LOG.c.tenant == tenant)
    reports: dict[str, ChainReport] = {}
    expected_seq, previous = 1, GENESIS_HASH
    async for entry in (await connection.stream(statement)).mappings():
        chain = entry["tenant"]
        if chain not in reports:
            reports[chain] = ChainReport(chain, 0)
            expected_seq, previous = 1, GENESIS_HASH
        report = reports[chain]
        if not report.intact:
            continue
        problem = _broken_link(entry, expected_seq, previous)
        reports[chain] = ChainReport(chain, report.entries + 1, None if problem is None else entry["seq"], problem)
        expected_seq, previous = expected_seq + 1, entry["entry_hash"]
    return list(reports.values())


def _broken_link(entry: Any, expected_seq: int, previous: str) -> str | None:
    if entry["seq"] != expected_seq:
        return f"sequence number {entry['seq']} found where {expected_seq} was expected (entries missing)"
    if entry["previous_hash"] != previous:
        return "its previous hash does not match the entry before it (that entry was changed or removed)"
    if entry_hash(dict(entry)) != entry["entry_hash"]:
        return "its content does not match its hash (the entry was changed)"
    return None
