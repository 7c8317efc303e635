"""Registering an import batch on PostgreSQL: ``COPY`` into a staging table, then one
``INSERT … SELECT`` (ADR 0028).

A batch's checked rows are copied (binary ``COPY``) into ``matter_staging``, a temporary
table of the connection whose rows go with the transaction (``ON COMMIT DELETE ROWS``). One
statement then does the rest, as sets:

- **repeats**: a join against the tenant's registered (source, reference) pairs; a repeat
  without ``duplicate_override`` is left out and reported back with the matter it repeats,
  an overridden one is written with ``duplicate_of`` naming that matter;
- **numbers**: the counter row is incremented once by the number of rows kept and each
  kept row takes ``base + row_number() OVER (ORDER BY ord)``, so numbers are gap-free and
  follow the order of the file (ADR 0004, 0005);
- the matters, their targets and attachments (expanded from each staged row's JSON arrays),
  the "received" timeline entries and the ``matter.received`` outbox rows, whose payload
  gets its number in SQL (``numbered_insert.NUMBER_PLACEHOLDER``).

It runs in the batch's transaction with the job's progress and row errors, so a batch is
still all or nothing (ADR 0003). Column lists come from the table definitions, as in
``numbered_insert``; ``tests/unit/test_numbered_insert.py`` checks every insert names every
column of its table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import table_of
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze_intake.matters.models import MATTER_NUMBERING, Attachment, Matter, MatterState, Target, TimelineEntry
from wenze_intake.matters.numbered_insert import (
    _MATTER_COMPUTED,
    _PLACEHOLDER_JSON,
    ATTACHMENT_INPUT,
    MATTER_INPUT,
    TARGET_INPUT,
    NumberFormat,
    _insert,
    _record,
)

STAGING_TABLE = "matter_staging"

# The staged row's columns besides the matter's own: its place in the file's batch, whether
# the submitter asked to register a repeat, the timeline detail, the event (id and payload
# with the number placeholder) and the JSON arrays of its target and attachment rows.
STAGING_EXTRAS = {
    "ord": "int",
    "override": "boolean",
    "detail": "jsonb",
    "event_id": "text",
    "payload": "text",
    "targets": "jsonb",
    "attachments": "jsonb",
}
# duplicate_of is decided by the statement's join, not staged.
STAGED_MATTER = tuple(name for name in MATTER_INPUT if name != "duplicate_of")
STAGING_COLUMNS = (*STAGED_MATTER, *STAGING_EXTRAS)


def _create_staging() -> str:
    matter_columns = _record(table_of(Matter), STAGED_MATTER)
    extras = ", ".join(f"{name} {type_}" for name, type_ in STAGING_EXTRAS.items())
    # Temporary: per connection, outside the service's schema and its row-level security
    # (it only ever holds the current transaction's rows of one tenant).
    return f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} ({matter_columns}, {extras}) ON COMMIT DELETE ROWS"


CREATE_STAGING = text(_create_staging())


@lru_cache(maxsize=1)
def statement() -> TextClause:
    """Refuse repeats, number, and write a staged batch's rows; returns one row per staged
    row: ``ord``, the repeated matter's id (or NULL), and ``seq``/``number`` if written."""
    # An overridden repeat's timeline entry says what it repeats and why it was registered anyway.
    repeat = (
        "CASE WHEN k.existing IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('duplicate_of', k.existing,"
        " 'duplicate_override_reason', k.duplicate_override_reason) END"
    )
    insert_matters = _insert(
        table_of(Matter),
        {**{name: f"n.{name}" for name in STAGED_MATTER}, "duplicate_of": "n.existing", **_MATTER_COMPUTED},
        "numbered n",
    )
    insert_targets = _insert(
        table_of(Target),
        {name: f"t.{name}" for name in TARGET_INPUT},
        f"numbered n CROSS JOIN LATERAL jsonb_to_recordset(n.targets) AS t({_record(table_of(Target), TARGET_INPUT)})",
    )
    insert_attachments = _insert(
        table_of(Attachment),
        {name: f"a.{name}" for name in ATTACHMENT_INPUT},
        "numbered n CROSS JOIN LATERAL jsonb_to_recordset(n.attachments)"
        f" AS a({_record(table_of(Attachment), ATTACHMENT_INPUT)})",
    )
    insert_timeline = _insert(
        table_of(TimelineEntry),
        {
            "matter_id": "n.id",
            "at": "CAST(:received_at AS timestamptz)",
            "actor": "CAST(:submitted_by AS text)",
            "action": "'received'",
            "state": f"'{MatterState.RECEIVED}'",
            "detail": "jsonb_build_object('number', n.number) || n.detail || n.repeat",
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
    return text(
        f"""
        WITH checked AS (
            SELECT s.*, first.id AS existing
            FROM {STAGING_TABLE} s
            LEFT JOIN LATERAL (
                -- OFFSET 0 keeps the lookup on the (tenant, source, reference) index: with
                -- the ORDER BY … LIMIT next to it the planner may walk the tenant's matters
                -- in order of receipt instead, once per staged row.
                SELECT e.id FROM (
                    SELECT m.id, m.received_at FROM matters m
                    WHERE s.source_reference IS NOT NULL AND m.tenant = CAST(:tenant AS text)
                      AND m.source = s.source AND m.source_reference = s.source_reference
                    OFFSET 0
                ) AS e
                ORDER BY e.received_at LIMIT 1
            ) AS first ON true
        ),
        kept AS (SELECT * FROM checked WHERE existing IS NULL OR override),
        wanted AS (SELECT count(*)::int AS count FROM kept),
        counter AS (
            INSERT INTO {NumberCounter.__tablename__} AS nc (tenant, kind, year, last)
            SELECT CAST(:tenant AS text), '{MATTER_NUMBERING}', CAST(:year AS int), wanted.count FROM wanted
            ON CONFLICT (tenant, kind, year) DO UPDATE SET last = nc.last + EXCLUDED.last
            RETURNING nc.last
        ),
        sequenced AS (
            SELECT k.*, {repeat} AS repeat,
                   counter.last - wanted.count + row_number() OVER (ORDER BY k.ord) AS seq
            FROM kept k CROSS JOIN counter CROSS JOIN wanted
        ),
        numbered AS (
            SELECT s.*, CAST(:prefix AS text)
                || CASE WHEN length(s.seq::text) >= CAST(:width AS int) THEN s.seq::text
                        ELSE lpad(s.seq::text, CAST(:width AS int), '0') END
                || CAST(:suffix AS text) AS number
            FROM sequenced s
        ),
        inserted AS ({insert_matters} RETURNING id),
        target_rows AS ({insert_targets}),
        attachment_rows AS ({insert_attachments}),
        timeline_rows AS ({insert_timeline}),
        outbox_rows AS ({insert_outbox})
        SELECT c.ord, c.existing, n.seq, n.number
        FROM checked c LEFT JOIN numbered n ON n.ord = c.ord
        ORDER BY c.ord"""
    )


@dataclass(frozen=True)
class StagedOutcome:
    """What became of one staged row: written (``seq``, ``number``), or refused as a repeat of
    ``existing``; ``existing`` with a number is an overridden repeat, written."""

    ord: int
    existing: str | None
    seq: int | None
    number: str | None


@dataclass
class StagingBatch:
    tenant: str
    year: int
    fmt: NumberFormat
    received_at: Any
    submitted_by: str
    submitter_office: str | None
    import_job_id: str | None
    subject: str
    headers: dict[str, str]
    # One tuple per row, in STAGING_COLUMNS order, ``ord`` 1..n.
    records: Sequence[tuple]


async def copy_and_insert(session: AsyncSession, batch: StagingBatch) -> list[StagedOutcome]:
    """Stage ``batch`` by ``COPY`` and register it with one statement, in the session's transaction."""
    await session.execute(CREATE_STAGING)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    # The session's transaction is open on this connection (its tenant set, ADR 0018); COPY
    # runs in it, so the staged rows vanish with its commit or rollback.
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        STAGING_TABLE, records=batch.records, columns=STAGING_COLUMNS
    )
    result = await session.execute(
        statement(),
        {
            "tenant": batch.tenant,
            "year": batch.year,
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
        },
    )
    return [StagedOutcome(ord_, existing, seq, number) for ord_, existing, seq, number in result.all()]
