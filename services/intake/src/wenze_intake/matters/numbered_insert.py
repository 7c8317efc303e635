"""Registering matters on PostgreSQL in one statement that takes the number last.

Numbers are gap-free: the tenant's ``matter`` row of ``number_counters`` for the year (the
counter every numbered document uses, ``wenze.db.numbering``) is incremented in the
registering transaction and its row lock is held until that transaction ends. Every round
trip the transaction makes after taking the lock is time other submissions queue for, and
under load each round trip also waits for the event loop to come back to it. So the counter
upsert, the matter, target, attachment, timeline and outbox rows (and the idempotency
record) go to PostgreSQL as one statement of data-modifying CTEs: the number is formatted
in SQL from the counter's new value, and the lock lives for that statement plus the commit.
Run in autocommit mode, the statement is its own transaction and the lock is released
before the answer comes back; a failure anywhere rolls the whole statement back, counter
included.

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
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.rules.errors import RulesError
from wenze_intake.matters.models import MATTER_NUMBERING

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
def number_format(pack, kind: str, year: int, on: dt.date) -> NumberFormat | None:
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


def safe_number_format(pack, kind: str, year: int, on: dt.date) -> NumberFormat | None:
    try:
        return number_format(pack, kind, year, on)
    except RulesError:
        # Let the portable writer raise it where the caller expects it.
        return None


_MATTER_RECORD = (
    "ord int, id text, source text, source_reference text, summary text, facts text, proposed_form text, "
    "key_supervised boolean, relevant_date date, duplicate_of text, duplicate_override_reason text, "
    "search_text text, detail jsonb, event_id text, payload text"
)
_TARGET_RECORD = (
    "id text, matter_id text, position int, kind text, name text, post text, unit text, "
    "cadre_level text, sector text, party_member boolean, org_level text"
)
_ATTACHMENT_RECORD = "id text, matter_id text, position int, name text, size int, media_type text, sha256 text"


@lru_cache(maxsize=8)
def _statement(with_attachments: bool, with_idempotency: bool):
    parts = [
        """
        WITH counter AS (
            INSERT INTO number_counters AS nc (tenant, kind, year, last)
            VALUES (CAST(:tenant AS text), CAST(:kind AS text), CAST(:year AS int), CAST(:count AS int))
            ON CONFLICT (tenant, kind, year) DO UPDATE SET last = nc.last + EXCLUDED.last
            RETURNING nc.last - CAST(:count AS int) AS base
        ),
        sequenced AS (
            SELECT r.*, counter.base + r.ord AS seq
            FROM jsonb_to_recordset(CAST(:matters AS jsonb)) AS r("""
        + _MATTER_RECORD
        + """)
            CROSS JOIN counter
        ),
        numbered AS (
            SELECT s.*, CAST(:prefix AS text)
                || CASE WHEN length(s.seq::text) >= CAST(:width AS int) THEN s.seq::text
                        ELSE lpad(s.seq::text, CAST(:width AS int), '0') END
                || CAST(:suffix AS text) AS number
            FROM sequenced s
        ),
        inserted AS (
            INSERT INTO matters (id, tenant, number, year, seq, state, source, source_reference, summary, facts,
                                 proposed_form, key_supervised, relevant_date, received_at, submitted_by,
                                 duplicate_of, duplicate_override_reason, acceptance, import_job_id, search_text)
            SELECT n.id, CAST(:tenant AS text), n.number, CAST(:year AS int), n.seq, 'received', n.source,
                   n.source_reference, n.summary, n.facts, n.proposed_form, n.key_supervised, n.relevant_date,
                   CAST(:received_at AS timestamptz), CAST(:submitted_by AS text), n.duplicate_of,
                   n.duplicate_override_reason, NULL, CAST(:import_job_id AS text), n.search_text
            FROM numbered n
            RETURNING id, seq, number
        ),
        target_rows AS (
            INSERT INTO targets (id, matter_id, position, kind, name, post, unit, cadre_level, sector,
                                 party_member, org_level)
            SELECT t.* FROM jsonb_to_recordset(CAST(:targets AS jsonb)) AS t("""
        + _TARGET_RECORD
        + """)
        ),
        timeline_rows AS (
            INSERT INTO timeline (matter_id, at, actor, action, state, detail)
            SELECT n.id, CAST(:received_at AS timestamptz), CAST(:submitted_by AS text), 'received', 'received',
                   jsonb_build_object('number', n.number) || n.detail
            FROM numbered n
        ),
        outbox_rows AS (
            INSERT INTO outbox (id, subject, payload, headers, created_at, published_at)
            SELECT n.event_id, CAST(:subject AS text),
                   replace(n.payload, CAST(:placeholder AS text), to_json(n.number)::text),
                   CAST(:headers AS jsonb), CAST(:received_at AS timestamptz), NULL
            FROM numbered n
        )""",
    ]
    if with_attachments:
        parts.append(
            """,
        attachment_rows AS (
            INSERT INTO attachments (id, matter_id, position, name, size, media_type, sha256)
            SELECT a.* FROM jsonb_to_recordset(CAST(:attachments AS jsonb)) AS a("""
            + _ATTACHMENT_RECORD
            + """)
        )"""
        )
    if with_idempotency:
        # The stored answer is the response body; only its number is known here, not before.
        parts.append(""",
        idempotency_row AS (
            INSERT INTO idempotency_keys (tenant, key, fingerprint, status_code, body, created_at)
            SELECT CAST(:tenant AS text), CAST(:idempotency_key AS text), CAST(:fingerprint AS text), 201,
                   jsonb_set(CAST(:response AS jsonb), '{number}', to_jsonb(n.number)),
                   CAST(:received_at AS timestamptz)
            FROM numbered n
        )""")
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
    import_job_id: str | None
    subject: str
    headers: dict[str, str]
    matters: str
    count: int
    targets: str
    attachments: str | None
    idempotency: StoredIdempotency | None


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
    result = await session.execute(_statement(bool(batch.attachments), batch.idempotency is not None), params)
    return {matter_id: (seq, number) for matter_id, seq, number in result.all()}


def dumps_json(value) -> str:
    """JSON as the statement reads it (dates and datetimes in ISO format, text unescaped).

    orjson rather than the standard library: a bulk import serialises every row here, and the
    standard encoder's per-date callback was a tenth of the import's staging time."""
    return orjson.dumps(value).decode()
