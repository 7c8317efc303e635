"""How registered matters reach the database: one :class:`MatterWriter`, chosen at start-up.

The service validates a batch and refuses repeats; the writer does the rest, in two steps:
``stage`` (pure CPU, before the transaction: ids, rows, the ``matter.received`` event) and
``insert`` (in the transaction: take the numbers, write the rows and events).

- :class:`PortableMatterWriter` works on any database: it reserves the numbers through
  ``wenze.db.numbering`` and inserts the rows with executemany (ADR 0004).
- :class:`PostgresMatterWriter` numbers and writes a whole batch in one statement
  (``numbered_insert``, ADR 0005). An import batch is copied into a staging table and
  registered by one ``INSERT … SELECT`` that also finds the repeats (``staged_insert``,
  ADR 0028). A number pattern SQL cannot render goes the portable way.

Either way the rows are written in the caller's transaction, which also carries the audit
entries of the registration (ADR 0014), appended after the writer is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.db.idempotency import IdempotentRequest
from wenze.events.base import subject_for
from wenze.events.intake import MatterReceived, TargetSnapshot
from wenze.ids import new_id
from wenze.telemetry.propagation import current_trace_headers
from wenze_intake.matters.batches import Registration, StagedBatch, StagedMatter, StagedRow
from wenze_intake.matters.models import MATTER_NUMBERING, MatterState, Target
from wenze_intake.matters.numbered_insert import (
    NUMBER_PLACEHOLDER,
    NumberedBatch,
    NumberFormat,
    StoredIdempotency,
    dumps_json,
    safe_number_format,
)
from wenze_intake.matters.schemas import MatterCreate
from wenze_intake.matters.staged_insert import STAGED_MATTER, STAGING_COLUMNS, StagingBatch
from wenze_intake.repositories import IntakeUnitOfWork


@dataclass
class Registered:
    """What ``MatterWriter.register`` did with a staged batch: the rows written (numbered), and
    the repeats of registered matters left out, each with the id of the matter it repeats."""

    written: list[StagedRow] = field(default_factory=list)
    repeats: list[tuple[StagedRow, str]] = field(default_factory=list)


class MatterWriter(Protocol):
    def stage(self, registration: Registration, accepted: Sequence[tuple[int, MatterCreate, dt.date]]) -> StagedBatch:
        """The rows and events of the ``accepted`` items (index, item, relevant date), all but
        their numbers. Pure CPU: a bulk import stages the next batch while one is written."""
        ...

    async def insert(
        self,
        uow: IntakeUnitOfWork,
        staged: StagedBatch,
        rows: Sequence[StagedRow],
        idempotency: IdempotentRequest | None,
    ) -> None:
        """Number ``rows`` (the staged rows still to register) and write them, their timeline
        and their events in ``uow``'s transaction, with a single submission's answer for
        ``idempotency``; not committed. Each row's ``matter.row`` then holds its number."""
        ...

    async def register(
        self, uow: IntakeUnitOfWork, staged: StagedBatch, idempotency: IdempotentRequest | None
    ) -> Registered:
        """Leave out the staged rows that repeat a registered matter's (source, reference)
        (unless the row overrides that: it is written naming the matter it repeats), and
        number and write the rest as ``insert`` does."""
        ...


def writer_for(engine: AsyncEngine) -> MatterWriter:
    return PostgresMatterWriter() if engine.dialect.name == "postgresql" else PortableMatterWriter()


class PortableMatterWriter:
    async def register(
        self, uow: IntakeUnitOfWork, staged: StagedBatch, idempotency: IdempotentRequest | None
    ) -> Registered:
        keys = [row.reference for row in staged.rows if row.reference]
        existing = await uow.repos.matters.existing_references(staged.registration.tenant, keys)
        registered = Registered()
        for row in staged.rows:
            duplicate_of = existing.get(row.reference) if row.reference else None
            if duplicate_of and not row.item.duplicate_override:
                registered.repeats.append((row, duplicate_of))
                continue
            if duplicate_of:
                row.repeats(duplicate_of)
            registered.written.append(row)
        if registered.written:
            await self.insert(uow, staged, registered.written, idempotency)
        return registered

    def stage(self, registration: Registration, accepted: Sequence[tuple[int, MatterCreate, dt.date]]) -> StagedBatch:
        rows = [StagedRow(index, item, _staged_matter(registration, item, on)) for index, item, on in accepted]
        return StagedBatch(registration, rows)

    async def insert(
        self,
        uow: IntakeUnitOfWork,
        staged: StagedBatch,
        rows: Sequence[StagedRow],
        idempotency: IdempotentRequest | None,
    ) -> None:
        registration = staged.registration
        numbers = await uow.repos.matters.reserve_numbers(registration.tenant, registration.year, len(rows))
        matters, targets, attachments, timeline = [], [], [], []
        for row, seq in zip(rows, numbers, strict=True):
            number = registration.pack.number(MATTER_NUMBERING, registration.year, seq, registration.registered_on)
            matter = row.matter
            matter.row.update(number=number, seq=seq)
            matters.append(matter.row)
            targets.extend(matter.targets)
            attachments.extend(matter.attachments)
            timeline.append(
                {
                    "matter_id": matter.id,
                    "at": registration.received_at,
                    "actor": registration.submitted_by,
                    "action": "received",
                    "state": MatterState.RECEIVED,
                    "detail": _received_detail(row.item, matter.row, number=number),
                }
            )
            uow.publish(_received_event(registration, row.item, matter, number))
        await uow.repos.matters.add_bulk(matters, targets, attachments, timeline)
        if registration.audit is not None:
            audited = [registration.audit_of(matter["id"], matter["number"]) for matter in matters]
            await uow.repos.audit.append(registration.tenant, audited)
        if idempotency is not None:
            idempotency.remember(uow.repos.idempotency, 201, rows[0].matter.read().model_dump(mode="json"))


@dataclass
class SqlRow(StagedRow):
    """A staged row with the statement's input for it (one object of ``numbered_insert``'s
    matters array), serialised when staged (a bulk import does that outside the batch's
    transaction): the matter object without its "ord", and the target and attachment objects
    as array elements without the brackets."""

    statement_input: dict[str, Any] = field(default_factory=dict)
    matter_json: str = ""
    targets_json: str = ""
    attachments_json: str = ""

    def __post_init__(self) -> None:
        self.serialise()

    def serialise(self) -> None:
        self.matter_json = dumps_json(self.statement_input)
        self.targets_json = dumps_json(self.matter.targets)[1:-1]
        self.attachments_json = dumps_json(self.matter.attachments)[1:-1]

    def repeats(self, duplicate_of: str) -> None:
        super().repeats(duplicate_of)
        self.statement_input["duplicate_of"] = duplicate_of
        self.statement_input["detail"] = _received_detail(self.item, self.matter.row, number=None)
        self.serialise()


@dataclass
class CopyRow(StagedRow):
    """A staged row of an import batch with its record for the staging table
    (``staged_insert.STAGING_COLUMNS``), built when staged, outside the batch's transaction."""

    record: tuple = ()


class PostgresMatterWriter(PortableMatterWriter):
    def stage(self, registration: Registration, accepted: Sequence[tuple[int, MatterCreate, dt.date]]) -> StagedBatch:
        fmt = safe_number_format(registration.pack, MATTER_NUMBERING, registration.year, registration.registered_on)
        if fmt is None:
            return super().stage(registration, accepted)
        if registration.import_job_id is not None:
            return self._stage_for_copy(registration, accepted, fmt)
        rows: list[StagedRow] = []
        for index, item, on in accepted:
            matter = _staged_matter(registration, item, on)
            row = matter.row
            event = _received_event(registration, item, matter, NUMBER_PLACEHOLDER)
            statement_input = {
                "id": matter.id,
                "source": item.source,
                "source_reference": item.source_reference,
                "summary": item.summary,
                "facts": item.facts,
                "proposed_form": item.proposed_form,
                "key_supervised": item.key_supervised,
                "relevant_date": on,
                "duplicate_of": None,
                "duplicate_override_reason": row["duplicate_override_reason"],
                "search_text": row["search_text"],
                "detail": _received_detail(item, row, number=None),
                "event_id": str(event.event_id),
                "payload": event.model_dump_json(),
            }
            rows.append(SqlRow(index, item, matter, statement_input))
        return StagedBatch(registration, rows, number_format=fmt)

    def _stage_for_copy(
        self, registration: Registration, accepted: Sequence[tuple[int, MatterCreate, dt.date]], fmt: NumberFormat
    ) -> StagedBatch:
        rows: list[StagedRow] = []
        for ordinal, (index, item, on) in enumerate(accepted, start=1):
            matter = _staged_matter(registration, item, on)
            row = matter.row
            event = _received_event(registration, item, matter, NUMBER_PLACEHOLDER)
            values = {
                **{name: row[name] for name in STAGED_MATTER},
                "ord": ordinal,
                "override": item.duplicate_override is not None,
                "detail": dumps_json(_received_detail(item, row, number=None)),
                "event_id": str(event.event_id),
                "payload": event.model_dump_json(),
                "targets": dumps_json(matter.targets),
                "attachments": dumps_json(matter.attachments),
            }
            rows.append(CopyRow(index, item, matter, tuple(values[name] for name in STAGING_COLUMNS)))
        return StagedBatch(registration, rows, number_format=fmt)

    async def register(
        self, uow: IntakeUnitOfWork, staged: StagedBatch, idempotency: IdempotentRequest | None
    ) -> Registered:
        fmt = staged.number_format
        copy_path = staged.rows and isinstance(staged.rows[0], CopyRow) and staged.registration.audit is None
        if fmt is None or idempotency is not None or not copy_path:
            return await super().register(uow, staged, idempotency)
        copy_rows = cast("Sequence[CopyRow]", staged.rows)
        registration = staged.registration
        outcomes = await uow.repos.matters.copy_and_insert(
            StagingBatch(
                tenant=registration.tenant,
                year=registration.year,
                fmt=fmt,
                received_at=registration.received_at,
                submitted_by=registration.submitted_by,
                submitter_office=registration.submitter_office,
                import_job_id=registration.import_job_id,
                subject=subject_for(MatterReceived, registration.tenant),
                headers=current_trace_headers(),
                records=[row.record for row in copy_rows],
            )
        )
        registered = Registered()
        for outcome in outcomes:
            row = copy_rows[outcome.ord - 1]
            if outcome.number is None:
                assert outcome.existing is not None
                registered.repeats.append((row, outcome.existing))
                continue
            if outcome.existing is not None:
                StagedRow.repeats(row, outcome.existing)
            row.matter.row["seq"], row.matter.row["number"] = outcome.seq, outcome.number
            registered.written.append(row)
        return registered

    async def insert(
        self,
        uow: IntakeUnitOfWork,
        staged: StagedBatch,
        rows: Sequence[StagedRow],
        idempotency: IdempotentRequest | None,
    ) -> None:
        fmt = staged.number_format
        if fmt is None:
            return await super().insert(uow, staged, rows, idempotency)
        # Staged with a number format, every row is a SqlRow.
        sql_rows = cast("Sequence[SqlRow]", rows)
        registration = staged.registration
        # Joined from the rows' JSON; each matter gets its position ("ord", 1..n) in front.
        matters = (
            "["
            + ",".join(f'{{"ord":{ordinal},{row.matter_json[1:]}' for ordinal, row in enumerate(sql_rows, start=1))
            + "]"
        )
        targets = "[" + ",".join(row.targets_json for row in sql_rows if row.targets_json) + "]"
        attachments = (
            "[" + ",".join(row.attachments_json for row in sql_rows if row.attachments_json) + "]"
            if any(row.attachments_json for row in sql_rows)
            else None
        )
        stored_idempotency = None
        if idempotency is not None:
            # The stored answer is the response body; the statement puts the number in.
            first = sql_rows[0].matter
            first.row.update(number=NUMBER_PLACEHOLDER, seq=0)
            stored_idempotency = StoredIdempotency(
                idempotency.key, idempotency.fingerprint, first.read().model_dump(mode="json")
            )
        numbers = await uow.repos.matters.insert_numbered(
            NumberedBatch(
                tenant=registration.tenant,
                year=registration.year,
                fmt=fmt,
                received_at=registration.received_at,
                submitted_by=registration.submitted_by,
                submitter_office=registration.submitter_office,
                import_job_id=registration.import_job_id,
                subject=subject_for(MatterReceived, registration.tenant),
                headers=current_trace_headers(),
                matters=matters,
                count=len(sql_rows),
                targets=targets,
                attachments=attachments,
                idempotency=stored_idempotency,
                audit=registration.audit,
            )
        )
        for row in sql_rows:
            row.matter.row["seq"], row.matter.row["number"] = numbers[row.matter.id]


# Target columns taken from the submitted target by name; a field its kind lacks is NULL.
_TARGET_FIELDS = tuple(
    c.name for c in Target.__table__.columns if c.name not in {"id", "matter_id", "position", "kind"}
)


def _staged_matter(registration: Registration, item: MatterCreate, on: dt.date) -> StagedMatter:
    matter_id = new_id()
    targets = _target_rows(matter_id, registration, item)
    return StagedMatter(
        _matter_row(matter_id, registration, item, on, targets), targets, _attachment_rows(matter_id, item)
    )


def _target_rows(matter_id: str, registration: Registration, item: MatterCreate) -> list[dict[str, Any]]:
    rows = []
    for pos, target in enumerate(item.targets):
        # The field dict, not getattr(target, name, None): a field the target's kind lacks
        # goes through pydantic's __getattr__ and an AttributeError, per field and per row.
        fields = target.__dict__
        row = {
            "id": new_id(),
            "matter_id": matter_id,
            "position": pos,
            "kind": target.kind,
            **{name: fields.get(name) for name in _TARGET_FIELDS},
        }
        # The number goes no further than this: only the reference derived from it is kept.
        number = fields.get("identity_number")
        row["person_ref"] = registration.person_refs.reference(registration.tenant, number) if number else None
        rows.append(row)
    return rows


def _attachment_rows(matter_id: str, item: MatterCreate) -> list[dict[str, Any]]:
    return [
        {"id": new_id(), "matter_id": matter_id, "position": pos, **a.model_dump()}
        for pos, a in enumerate(item.attachments)
    ]


def _matter_row(
    matter_id: str, registration: Registration, item: MatterCreate, on: dt.date, targets: list[dict[str, Any]]
) -> dict[str, Any]:
    """The matter's columns except ``number`` and ``seq``, which numbering fills in."""
    names = " ".join(t["name"] for t in targets if t["name"])
    return {
        "id": matter_id,
        "tenant": registration.tenant,
        "year": registration.year,
        "state": MatterState.RECEIVED,
        "source": item.source,
        "source_reference": item.source_reference,
        "summary": item.summary,
        "facts": item.facts,
        "proposed_form": item.proposed_form,
        "key_supervised": item.key_supervised,
        "relevant_date": on,
        "received_at": registration.received_at,
        "submitted_by": registration.submitted_by,
        "submitter_office": registration.submitter_office,
        "duplicate_of": None,
        "duplicate_override_reason": item.duplicate_override.reason if item.duplicate_override else None,
        "acceptance": None,
        "import_job_id": registration.import_job_id,
        "search_text": f"{item.summary}\n{item.facts}\n{names}",
    }


def _received_detail(item: MatterCreate, row: dict[str, Any], *, number: str | None) -> dict[str, Any]:
    """The detail of a matter's "received" timeline entry (the statement adds the number itself)."""
    detail: dict[str, Any] = {"number": number} if number is not None else {}
    detail["source"] = item.source
    if row["import_job_id"]:
        detail["import_job_id"] = row["import_job_id"]
    if row["duplicate_of"]:
        detail["duplicate_of"] = row["duplicate_of"]
        detail["duplicate_override_reason"] = row["duplicate_override_reason"]
    return detail


def _received_event(
    registration: Registration, item: MatterCreate, matter: StagedMatter, number: str
) -> MatterReceived:
    return MatterReceived(
        tenant=registration.tenant,
        matter_id=matter.id,
        occurred_at=registration.received_at,
        number=number,
        source=item.source,
        source_reference=item.source_reference,
        summary=item.summary,
        key_supervised=item.key_supervised,
        proposed_form=item.proposed_form,
        targets=[TargetSnapshot(**{k: t[k] for k in TargetSnapshot.model_fields}) for t in matter.targets],
    )
