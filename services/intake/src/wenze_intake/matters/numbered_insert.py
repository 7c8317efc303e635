"""Registering matters on PostgreSQL in one statement that takes the number last.

Numbers are gap-free: the tenant's ``matter`` row of ``number_counters`` for the year (the
counter every numbered document uses, ``wenze.db.numbering``) is incremented in the
registering transaction and its row lock is held until that transaction ends. Every round
trip the transaction makes after taking the lock is time other submissions queue for, and
under load each round trip also waits for the event loop to come back to it. So the counter
upsert, the matter, target, attachment, timeline and outbox rows (and the idempotency
record, and a submission's audit entry, which names the number) go to PostgreSQL as one
statement of data-modifying CTEs: the number is formatted in SQL from the counter's new
value, and the lock lives for that statement and the commit; a failure anywhere rolls the
whole transaction back, counter included.

The statement's column lists come from the table definitions, and every insert in it names
a value for each column of its table, so a column added to a model cannot be left out
silently (``tests/unit/test_numbered_insert.py`` builds every variant).

The number pattern belongs to the tenant's rule pack; :func:`number_format` reads it
through the pack's public ``number()`` and checks the SQL rendering against it; a pattern
that cannot be rendered this way is numbered in Python (``PortableMatterWriter``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache

import orjson
from sqlalchemy import Column, Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.audit import AUDIT_LOG, AuditRecord
from wenze.db.base import table_of
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze.rules import RulePack
from wenze.rules.errors import RulesError
from wenze_intake.matters.models import (
    MATTER_NUMBERING,
    Attachment,
    Matter,
    MatterState,
    Target,
    TimelineEntry,
)

# Stands in for the number in the event payload until SQL knows it. Random per process, so
# no submitted text can contain it by accident or on purpose.
NUMBER_PLACEHOLDER = f"@number-{uuid.uuid4().hex}"
_PLACEHOLDER_JSON = json.dumps(NUMBER_PLACEHOLDER)

# A sequence value longer than any zero-padding a pattern can ask for ({seq:09d} at most),
# so the pack renders it unpadded and it marks where the sequence sits in the number.
_PROBE = 987654321
_CHECKS = (1, 7, 10, 99, 1000, 12345, 100000, 1234567)


@dataclass(frozen=True)
class NumberFormat:
    prefix: str
    width: int
    suffix: str

    def render(self, seq: int) -> str:
        return f"{self.prefix}{str(seq).zfill(self.width)}{self.suffix}"


@lru_cache(maxsize=256)
def number_format(pack: RulePack, kind: str, year: int, on: dt.date) -> NumberFormat | None:
    """``prefix + zero-padded seq + suffix`` equivalent to ``pack.number(kind, year, seq, on)``,
    or ``None`` if the pattern is not of that shape. Rules errors (no such kind, date outside
    the numbering's period) propagate, as they would from ``pack.number``."""
    probe = str(_PROBE)
    rendered = pack.number(kind, year, _PROBE, on)
    if rendered.count(probe) != 1:
        return None
    prefix, suffix = rendered.split(probe)
    one = pack.number(kind, year, 1, on)
    if not (one.startswith(prefix) and one.endswith(suffix)) or len(one) <= len(prefix) + len(suffix):
        return None
    digits = one[len(prefix) : len(one) - len(suffix)]
    if digits.lstrip("0") != "1":
        return None
    candidate = NumberFormat(prefix, len(digits), suffix)
    if any(pack.number(kind, year, seq, on) != candidate.render(seq) for seq in _CHECKS):
        return None
    return candidate


def safe_number_format(pack: RulePack, kind: str, year: int, on: dt.date) -> NumberFormat | None:
    try:
        return number_format(pack, kind, year, on)
    except RulesError:
        # Let the portable writer raise it where the caller expects it.
        return None


_PG = postgresql.dialect()

# Matter columns the statement fills itself; every other column of ``matters`` comes from the
# matter's JSON object, so a column added to the model is read from there or the unit test of
# the staged rows fails.
_MATTER_COMPUTED = {
    "tenant": "CAST(:tenant AS text)",
    "number": "n.number",
    "year": "CAST(:year AS int)",
    "seq": "n.seq",
    "state": f"'{MatterState.RECEIVED}'",
    "received_at": "CAST(:received_at AS timestamptz)",
    "submitted_by": "CAST(:submitted_by AS text)",
    "submitter_office": "CAST(:submitter_office AS text)",
    "acceptance": "NULL",
    "import_job_id": "CAST(:import_job_id AS text)",
}
# What a matter's JSON object carries besides its columns: its position in the batch, its
# timeline detail and its event.
MATTER_EXTRAS = {"ord": "int", "detail": "jsonb", "event_id": "text", "payload": "text"}


def _written(table: Table) -> list[Column]:
    """The columns an insert into ``table`` names: all but a generated key."""
    return [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]


MATTER_INPUT = tuple(c.name for c in _written(table_of(Matter)) if c.name not in _MATTER_COMPUTED)
TARGET_INPUT = tuple(c.name for c in _written(table_of(Target)))
ATTACHMENT_INPUT = tuple(c.name for c in _written(table_of(Attachment)))


def _record(table: Table, names: tuple[str, ...]) -> str:
    """The column definition list of ``jsonb_to_recordset`` for ``names``, typed as in ``table``."""
    return ", ".join(f"{name} {table.columns[name].type.compile(dialect=_PG)}" for name in names)


def _insert(table: Table, values: dict[str, str], source: str) -> str:
    """``INSERT INTO table (...) SELECT ... FROM source``, one value for every column of the table."""
    columns = [c.name for c in _written(table)]
    if set(values) != set(columns):
        raise RuntimeError(
            f"the numbering statement's values for {table.name} do not match its columns: "
            f"missing {sorted(set(columns) - set(values))}, unknown {sorted(set(values) - set(columns))}"
        )
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(values[c] for c in columns)} FROM {source}"
    )


def _rows_of(table: Table, names: tuple[str, ...], alias: str, parameter: str) -> str:
    """Insert the JSON array ``parameter`` into ``table``, each element holding every column."""
    return _insert(
        table,
        {name: f"{alias}.{name}" for name in names},
        f"jsonb_to_recordset(CAST(:{parameter} AS jsonb)) AS {alias}({_record(table, names)})",
    )


@lru_cache(maxsize=8)
def statement(with_attachments: bool, with_idempotency: bool, with_audit: bool = False) -> TextClause:
    """The statement for a batch with or without attachments, a stored idempotent answer and
    an audit entry for each matter."""
    matters = table_of(Matter)
    insert_matters = _insert(
        matters, {**{name: f"n.{name}" for name in MATTER_INPUT}, **_MATTER_COMPUTED}, "numbered n"
    )
    extras = ", ".join(f"{name} {type_}" for name, type_ in MATTER_EXTRAS.items())
    insert_timeline = _insert(
        table_of(TimelineEntry),
        {
            "matter_id": "n.id",
            "at": "CAST(:received_at AS timestamptz)",
            "actor": "CAST(:submitted_by AS text)",
            "action": "'received'",
            "state": f"'{MatterState.RECEIVED}'",
            "detail": "jsonb_build_object('number', n.number) || n.detail",
        },
        "numbered n",
    )
    insert_outbox = _insert(
        table_of(OutboxRecord),
        {
            "id": "n.event_id",
            "subject": "CAST(:subject AS text)",
            "payload": "replace(n.payload, CAST(:placeholder AS text), to_json(n.number)::text)",
            "headers": "CAST(:headers AS jsonb)",
            "created_at": "CAST(:received_at AS timestamptz)",
            "published_at": "NULL",
        },
        "numbered n",
    )
    parts = [
        f"""
        WITH counter AS (
            INSERT INTO {NumberCounter.__tablename__} AS nc (tenant, kind, year, last)
            VALUES (CAST(:tenant AS text), CAST(:kind AS text), CAST(:year AS int), CAST(:count AS int))
            ON CONFLICT (tenant, kind, year) DO UPDATE SET last = nc.last + EXCLUDED.last
            RETURNING nc.last - CAST(:count AS int) AS base
        ),
        sequenced AS (
            SELECT r.*, counter.base + r.ord AS seq
            FROM jsonb_to_recordset(CAST(:matters AS jsonb)) AS r({_record(matters, MATTER_INPUT)}, {extras})
            CROSS JOIN counter
        ),
        numbered AS (
            SELECT s.*, CAST(:prefix AS text)
                || CASE WHEN length(s.seq::text) >= CAST(:width AS int) THEN s.seq::text
                        ELSE lpad(s.seq::text, CAST(:width AS int), '0') END
                || CAST(:suffix AS text) AS number
            FROM sequenced s
        ),
        inserted AS ({insert_matters} RETURNING id, seq, number),
        target_rows AS ({_rows_of(table_of(Target), TARGET_INPUT, "t", "targets")}),
        timeline_rows AS ({insert_timeline}),
        outbox_rows AS ({insert_outbox})"""
    ]
    if with_attachments:
        parts.append(
            f",\n        attachment_rows AS ({_rows_of(table_of(Attachment), ATTACHMENT_INPUT, 'a', 'attachments')})"
        )
    if with_idempotency:
        # The stored answer is the response body; only its number is known here, not before.
        insert_answer = _insert(
            table_of(IdempotencyRecord),
            {
                "tenant": "CAST(:tenant AS text)",
                "key": "CAST(:idempotency_key AS text)",
                "fingerprint": "CAST(:fingerprint AS text)",
                "status_code": "201",
                "body": "jsonb_set(CAST(:response AS jsonb), '{number}', to_jsonb(n.number))",
                "created_at": "CAST(:received_at AS timestamptz)",
            },
            "numbered n",
        )
        parts.append(f",\n        idempotency_row AS ({insert_answer})")
    if with_audit:
        insert_audit = _insert(
            AUDIT_LOG,
            {
                "tenant": "CAST(:tenant AS text)",
                "recorded_at": "CAST(:received_at AS timestamptz)",
                "actor": "CAST(:audit_actor AS text)",
                "office": "CAST(:audit_office AS text)",
                "action": "CAST(:audit_action AS text)",
                "object_kind": "CAST(:audit_object_kind AS text)",
                "object_id": "n.id",
                "client_address": "CAST(:audit_client_address AS text)",
                "detail": "CAST(:audit_detail AS jsonb) || jsonb_build_object('number', n.number)",
            },
            "numbered n",
        )
        parts.append(f",\n        audit_rows AS ({insert_audit})")
    parts.append("\n        SELECT id, seq, number FROM inserted")
    return text("".join(parts))


@dataclass
class StoredIdempotency:
    key: str
    fingerprint: str
    response: dict


@dataclass
class NumberedBatch:
    """What the statement writes: ``matters`` is a JSON array of ``count`` objects, each with
    its ``ord`` (1..n), and ``targets`` and ``attachments`` JSON arrays of their rows, all
    serialised with :func:`dumps_json`."""

    tenant: str
    year: int
    fmt: NumberFormat
    received_at: dt.datetime
    submitted_by: str
    submitter_office: str | None
    import_job_id: str | None
    subject: str
    headers: dict[str, str]
    matters: str
    count: int
    targets: str
    attachments: str | None
    idempotency: StoredIdempotency | None
    # Written for each matter: its object the matter, its detail with the number added.
    audit: AuditRecord | None = None


async def insert_numbered(session: AsyncSession, batch: NumberedBatch) -> dict[str, tuple[int, str]]:
    """Number and insert ``batch``; returns ``{matter id: (seq, number)}`` as stored."""
    params = {
        "tenant": batch.tenant,
        "kind": MATTER_NUMBERING,
        "year": batch.year,
        "count": batch.count,
        "prefix": batch.fmt.prefix,
        "width": batch.fmt.width,
        "suffix": batch.fmt.suffix,
        "received_at": batch.received_at,
        "submitted_by": batch.submitted_by,
        "submitter_office": batch.submitter_office,
        "import_job_id": batch.import_job_id,
        "subject": batch.subject,
        "placeholder": _PLACEHOLDER_JSON,
        "headers": json.dumps(batch.headers),
        "matters": batch.matters,
        "targets": batch.targets,
    }
    if batch.attachments:
        params["attachments"] = batch.attachments
    if batch.idempotency is not None:
        params.update(
            idempotency_key=batch.idempotency.key,
            fingerprint=batch.idempotency.fingerprint,
            response=dumps_json(batch.idempotency.response),
        )
    if batch.audit is not None:
        params.update(
            audit_actor=batch.audit.actor,
            audit_office=batch.audit.office,
            audit_action=batch.audit.action,
            audit_object_kind=batch.audit.object_kind,
            audit_client_address=batch.audit.client_address,
            audit_detail=dumps_json(batch.audit.detail),
        )
    shape = (bool(batch.attachments), batch.idempotency is not None, batch.audit is not None)
    result = await session.execute(statement(*shape), params)
    return {matter_id: (seq, number) for matter_id, seq, number in result.all()}


def dumps_json(value) -> str:
    """JSON as the statement reads it (dates and datetimes in ISO format, text unescaped).

    orjson rather than the standard library: a bulk import serialises every row here, and the
    standard encoder's per-date callback was a tenth of the import's staging time."""
    return orjson.dumps(value).decode()
