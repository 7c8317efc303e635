"""Accepting a chunk of an import: on PostgreSQL one statement, elsewhere the portable path.

When a whole import is accepted (ADR 0028), each chunk's matters are moved, given their
"acceptance_decided" timeline entries and announced by ``matter.accepted`` events in the
outbox, in the chunk's transaction.

On PostgreSQL that is one statement (ADR 0050): an ``UPDATE … RETURNING`` through the
matters' state machine (``can_move``), and over the rows it moved, two data-modifying CTEs
that insert the timeline entries and the outbox rows. PostgreSQL builds each event's payload
from the matter's row and its targets, field by field from the contract (``MatterAccepted``,
``TargetSnapshot``): building the statement fails if the contract gains a field the statement
does not fill. Nothing of a matter passes through Python, which before cost as much as
PostgreSQL's own work on the chunk: loading the matters and targets as objects, an event
object per matter, its JSON.

Elsewhere (SQLite) the matters are loaded and their events built as a single acceptance builds
them (``accepted_event``). ``tests/integration/test_import_jobs.py`` checks that both
paths write the same events.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ARRAY, JSON, String, Text, bindparam, cast, func, insert, literal_column, null, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from wenze.db.base import insert_rows, table_of
from wenze.db.outbox import OUTBOX, OutboxRecord
from wenze.events import MatterAccepted, TargetSnapshot, subject_for
from wenze.telemetry.propagation import current_trace_headers
from wenze_intake.matters.events import accepted_event
from wenze_intake.matters.models import MATTER_STATES, Matter, Target, TimelineEntry

MATTERS = table_of(Matter)
TARGETS = table_of(Target)
TIMELINE = table_of(TimelineEntry)
ACCEPT = "accept"
ACCEPTED = MATTER_STATES.transition(ACCEPT).target
# The matter's columns its event is built from, and those that order the chunk.
_ANNOUNCED = (
    "id",
    "tenant",
    "number",
    "year",
    "seq",
    "source",
    "summary",
    "facts",
    "key_supervised",
    "proposed_form",
    "relevant_date",
)
_DATETIME = TypeAdapter(dt.datetime)
TIMELINE_ACTION = "acceptance_decided"


@dataclass(frozen=True)
class ChunkAcceptance:
    """One collective study's acceptance of a chunk of an import's matters."""

    tenant: str
    at: dt.datetime
    study_date: dt.date
    participants: list[str]
    accepted_by: str

    @property
    def record(self) -> dict[str, Any]:
        """What each matter stores as its acceptance."""
        return {
            "outcome": "accepted",
            "reason": None,
            "transferred_to": None,
            "participants": self.participants,
            "study_date": self.study_date.isoformat(),
            "decided_by": self.accepted_by,
            "decided_at": self.at.isoformat(),
        }

    @property
    def timeline_detail(self) -> dict[str, Any]:
        """The timeline entry's detail: the record, less who decided (the entry's actor)."""
        return {k: v for k, v in self.record.items() if k != "decided_by"}


async def accept_chunk(
    session: AsyncSession, matter_ids: Sequence[str], acceptance: ChunkAcceptance
) -> list[tuple[str, str]]:
    """Accept ``matter_ids`` (of ``acceptance.tenant``) with their timeline entries and events,
    in the session's transaction; (id, number) of the matters moved, in numbering order. A
    matter decided meanwhile is not moved."""
    if not matter_ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            _statement(),
            {
                # Not "tenant": a parameter named as a column of the updated table is set on it.
                "of_tenant": acceptance.tenant,
                "ids": list(matter_ids),
                "acceptance": acceptance.record,
                "at": acceptance.at,
                "actor": acceptance.accepted_by,
                "detail": acceptance.timeline_detail,
                "subject": subject_for(MatterAccepted, acceptance.tenant),
                "headers": current_trace_headers(),
                "occurred_at": _json_datetime(acceptance.at),
                "study_date": acceptance.study_date.isoformat(),
                "participants": acceptance.participants,
                "accepted_by": acceptance.accepted_by,
            },
        )
        return [(matter_id, number) for matter_id, number in result.all()]
    return await _accept_portably(session, matter_ids, acceptance)


async def _accept_portably(
    session: AsyncSession, matter_ids: Sequence[str], acceptance: ChunkAcceptance
) -> list[tuple[str, str]]:
    moved = await session.execute(
        update(MATTERS)
        .where(
            MATTERS.c.tenant == acceptance.tenant,
            MATTERS.c.id.in_(matter_ids),
            MATTER_STATES.can_move(ACCEPT, Matter.state),
        )
        .values(state=ACCEPTED, acceptance=acceptance.record)
        .returning(MATTERS.c.id)
    )
    ids = list(moved.scalars().all())
    if not ids:
        return []
    matters = list(
        (
            await session.scalars(
                select(Matter)
                .where(Matter.id.in_(ids))
                .options(selectinload(Matter.targets))
                .order_by(Matter.year, Matter.seq)
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    detail = acceptance.timeline_detail
    await insert_rows(
        session,
        TIMELINE,
        [
            {
                "matter_id": m.id,
                "at": acceptance.at,
                "actor": acceptance.accepted_by,
                "action": TIMELINE_ACTION,
                "state": ACCEPTED,
                "detail": detail,
            }
            for m in matters
        ],
    )
    events = [
        accepted_event(m, acceptance.at, acceptance.study_date, acceptance.participants, acceptance.accepted_by)
        for m in matters
    ]
    await insert_rows(session, OUTBOX, OutboxRecord.rows_for(events))
    return [(m.id, m.number) for m in matters]


def _json_datetime(at: dt.datetime) -> str:
    """``at`` as the event's JSON writes it (pydantic's format, so both paths agree)."""
    return str(_DATETIME.dump_python(at, mode="json"))


@functools.cache
def _statement() -> Any:
    # Joined to the list rather than ``id = ANY(list)``: each id is then a look-up in the primary
    # key, where the list as a filter could be tested against every matter of the tenant.
    chosen = func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("id").render_derived(name="chosen")
    moved = (
        update(MATTERS)
        .where(
            MATTERS.c.id == chosen.c.id,
            MATTERS.c.tenant == bindparam("of_tenant", type_=String),
            MATTER_STATES.can_move(ACCEPT, Matter.state),
        )
        .values(state=ACCEPTED, acceptance=bindparam("acceptance", type_=MATTERS.c.acceptance.type))
        .returning(*(MATTERS.c[name] for name in _ANNOUNCED))
        .cte("moved")
    )
    # A volatile function keeps this CTE from being folded into its reader: each event's id is
    # drawn once, for its outbox row and its payload alike.
    announced = select(moved, cast(func.gen_random_uuid(), String).label("event_id")).cte("announced")
    target_fields = {name: TARGETS.c[name] for name in TargetSnapshot.model_fields}
    targets = (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(_json_object(target_fields), TARGETS.c.position)),
                _sql_text("[]").cast(JSON),
            )
        )
        .where(TARGETS.c.matter_id == announced.c.id)
        .scalar_subquery()
    )
    event_fields: dict[str, Any] = {
        "event_id": announced.c.event_id,
        "tenant": announced.c.tenant,
        "matter_id": announced.c.id,
        "occurred_at": bindparam("occurred_at", type_=String),
        "number": announced.c.number,
        "source": announced.c.source,
        "summary": announced.c.summary,
        "facts": announced.c.facts,
        "key_supervised": announced.c.key_supervised,
        "proposed_form": announced.c.proposed_form,
        "targets": targets,
        "relevant_date": announced.c.relevant_date,
        "study_date": bindparam("study_date", type_=String),
        "participants": cast(bindparam("participants", type_=JSON), JSON),
        "accepted_by": bindparam("accepted_by", type_=String),
    }
    unfilled = set(MatterAccepted.model_fields) ^ set(event_fields)
    if unfilled:
        raise TypeError(f"the bulk acceptance statement and MatterAccepted differ in {sorted(unfilled)}")
    timeline_rows = insert(TIMELINE).from_select(
        ["matter_id", "at", "actor", "action", "state", "detail"],
        select(
            moved.c.id,
            bindparam("at", type_=TIMELINE.c.at.type),
            bindparam("actor", type_=String),
            _sql_text(TIMELINE_ACTION),
            _sql_text(ACCEPTED),
            bindparam("detail", type_=TIMELINE.c.detail.type),
        ),
    )
    outbox_rows = insert(OUTBOX).from_select(
        ["id", "subject", "payload", "headers", "created_at", "published_at"],
        select(
            announced.c.event_id,
            bindparam("subject", type_=String),
            cast(_json_object(event_fields), Text),
            bindparam("headers", type_=OUTBOX.c.headers.type),
            bindparam("at", type_=OUTBOX.c.created_at.type),
            null(),
        ),
    )
    return (
        select(moved.c.id, moved.c.number)
        .order_by(moved.c.year, moved.c.seq)
        .add_cte(timeline_rows.cte("timeline_rows"), outbox_rows.cte("outbox_rows"))
    )


def _json_object(fields: dict[str, Any]) -> Any:
    """``json_build_object`` of ``fields``: key, value, key, value …"""
    pairs = ((_sql_text(name), value) for name, value in fields.items())
    return func.json_build_object(*chain.from_iterable(pairs))


def _sql_text(constant: str) -> Any:
    """A constant of this module (a field name, an action, a state) written into the statement's
    text, as the SQL would be written by hand, rather than sent as a parameter with every chunk."""
    if "'" in constant:
        raise ValueError(f"not a plain constant: {constant!r}")
    return literal_column(f"'{constant}'", String)
