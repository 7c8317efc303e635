"""Registering, accepting and reading matters.

Single submissions and bulk imports go through :meth:`MatterService.register_batch`, so a
matter is validated, numbered and announced the same way whichever door it came in by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest
from wenze.events.intake import MatterAccepted, MatterReceived, MatterRejected, TargetSnapshot
from wenze.ids import new_id
from wenze.problems import invalid
from wenze.rules import IntakeSource, RulePack, get_pack
from wenze.rules.errors import RulesError
from wenze.telemetry.propagation import current_trace_headers
from wenze_intake.attachments.storage import AttachmentStore
from wenze_intake.errors import DuplicateMatter, MatterNotFound
from wenze_intake.matters.models import MATTER_NUMBERING
from wenze_intake.matters.numbered_insert import (
    NUMBER_PLACEHOLDER,
    NumberFormat,
    StoredIdempotency,
    dumps_json,
    insert_numbered,
    safe_number_format,
)
from wenze_intake.matters.repository import encode_cursor
from wenze_intake.matters.schemas import (
    AcceptanceCreate,
    MatterCreate,
    MatterFilters,
    MatterPage,
    MatterRead,
    TimelineEntryRead,
)
from wenze_intake.repositories import IntakeUnitOfWorkFactory


@dataclass
class RowError:
    """Why one item of a batch was refused: a field path and a reason."""

    index: int
    errors: list[dict[str, str]]


@dataclass
class StagedMatter:
    """A matter as written in this transaction: its row, target rows and attachment rows."""

    row: dict
    targets: list[dict]
    attachments: list[dict]

    @property
    def id(self) -> str:
        return self.row["id"]

    def read(self) -> MatterRead:
        return MatterRead.model_validate({**self.row, "targets": self.targets, "attachments": self.attachments})


@dataclass
class BatchResult:
    registered: list[StagedMatter] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)


@dataclass
class CheckedBatch:
    """A batch after the checks that need no database, ready for :meth:`MatterService.write_batch`."""

    tenant: str
    pack: object
    accepted: list[tuple[int, MatterCreate, dt.date]] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)
    # Set by :meth:`MatterService.stage_batch`: every accepted row already turned into the
    # rows and event the single statement writes, so the write itself is only the database.
    staged: StagedBatch | None = None


@dataclass
class SqlRow:
    """One accepted item staged for the single statement: everything but its number."""

    index: int
    item: MatterCreate
    matter: dict
    subject: str
    staged: StagedMatter
    # The statement's JSON input, serialised when staged (a bulk import does that outside
    # the batch's transaction): the matter object without its "ord", and the target and
    # attachment objects as array elements without the brackets.
    matter_json: str = ""
    targets_json: str = ""
    attachments_json: str = ""

    def serialise(self) -> None:
        self.matter_json = dumps_json(self.matter)
        self.targets_json = dumps_json(self.staged.targets)[1:-1]
        self.attachments_json = dumps_json(self.staged.attachments)[1:-1]


@dataclass
class StagedBatch:
    """A batch's rows built ahead of its transaction, for ``numbered_insert``."""

    submitted_by: str
    import_job_id: str | None
    received_at: dt.datetime
    year: int
    fmt: NumberFormat
    rows: list[SqlRow]


@dataclass
class WriteOrder:
    """A batch written while the batch before it is still being written, in another transaction.

    Both take numbers from the same counter row, so the second one's numbering statement must
    reach PostgreSQL only once the first holds that row (``turn``): it then waits there for the
    first to commit, and the numbers follow the order of the batches. The first batch's rows
    are invisible to the second's duplicate lookup until it commits, so it hands them over
    (``pending``, (source, reference) → matter id)."""

    pending: Mapping[tuple[str, str], str]
    # Told this batch's (source, reference) → matter id once chosen, before they are written.
    chosen: Callable[[dict[tuple[str, str], str]], None]
    # Waits until the batch before holds its numbers (or has ended).
    turn: Callable[[], Awaitable[object]] | None


async def _wait_turn(order: WriteOrder | None) -> None:
    if order is not None and order.turn is not None:
        await order.turn()


# The action of the matter's state machine that records each acceptance outcome.
_ACCEPTANCE_ACTIONS = {"accepted": "accept", "not_accepted": "reject", "transferred": "transfer"}


class NeedsTransaction(Exception):
    """The batch cannot be written as one statement, so it needs a real transaction."""


class MatterService:
    def __init__(self, uow: IntakeUnitOfWorkFactory, attachments: AttachmentStore):
        self.uow = uow
        self.attachments = attachments

    def sources(self, principal: Principal) -> list[IntakeSource]:
        """The tenant's intake sources in force today."""
        pack = get_pack(principal.tenant)
        return pack.intake_sources(pack.today())

    # -- registering ------------------------------------------------------------------

    async def submit(
        self, principal: Principal, data: MatterCreate, idempotency: IdempotentRequest | None = None
    ) -> MatterRead:
        """Register one matter, or answer a retry of the same request as the first time."""
        try:
            return await self._submit(principal, data, idempotency, single_statement=True)
        except NeedsTransaction:
            return await self._submit(principal, data, idempotency, single_statement=False)

    async def _submit(
        self, principal: Principal, data: MatterCreate, idempotency: IdempotentRequest | None, *, single_statement: bool
    ) -> MatterRead:
        async with self.uow() as uow:
            autocommit = single_statement and uow.session.bind.dialect.name == "postgresql"
            if autocommit:
                # The registration is one statement (see numbered_insert); on its own it is a
                # transaction, and the numbering lock is gone before the answer comes back.
                await uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            if idempotency:
                replay = await idempotency.replay(uow.repos.idempotency)
                if replay is not None:
                    return MatterRead.model_validate(replay)
            try:
                result = await self.register_batch(
                    uow,
                    principal.tenant,
                    [data],
                    submitted_by=principal.username,
                    idempotency=idempotency,
                    autocommit=autocommit,
                )
                if result.refused:
                    raise _as_problem(result.refused[0])
                # Answered from what was just written rather than read back: the read-back cost
                # three queries for what this process already holds.
                read = result.registered[0].read()
                await uow.commit()
            except IntegrityError:
                # Another request with the same key committed first: answer as it did.
                if not idempotency:
                    raise
                await uow.rollback()
                replay = await idempotency.replay(uow.repos.idempotency)
                if replay is None:
                    raise
                return MatterRead.model_validate(replay)
            return read

    async def register_batch(
        self,
        uow,
        tenant: str,
        items: list[MatterCreate],
        *,
        submitted_by: str,
        import_job_id: str | None = None,
        first_index: int = 0,
        idempotency: IdempotentRequest | None = None,
        autocommit: bool = False,
    ) -> BatchResult:
        """Validate, number and stage a batch of matters in the caller's transaction.

        Items that fail are reported and left out; the rest are written together. Nothing is
        committed here: the caller's unit of work decides.
        """
        return await self.write_batch(
            uow,
            self.check_batch(tenant, items, first_index=first_index),
            submitted_by=submitted_by,
            import_job_id=import_job_id,
            idempotency=idempotency,
            autocommit=autocommit,
        )

    def check_batch(self, tenant: str, items: list[MatterCreate], *, first_index: int = 0) -> CheckedBatch:
        """The checks that need no database: sources, vocabularies, attachments, repeats within
        the batch. Pure CPU, so a bulk import runs it for the next batch while this one is written."""
        pack = get_pack(tenant)
        checked = CheckedBatch(tenant=tenant, pack=pack)
        today = pack.today()
        seen_in_batch: dict[tuple[str, str], int] = {}
        sources_on: dict[dt.date, set[str] | RulesError] = {}
        for offset, item in enumerate(items):
            index = first_index + offset
            on = item.relevant_date or today
            errors = self._check(pack, item, on, today, sources_on)
            key = (item.source, item.source_reference) if item.source_reference else None
            if key and key in seen_in_batch and not item.duplicate_override:
                errors.append(
                    {"field": "source_reference", "reason": f"repeats row {seen_in_batch[key]} of this batch"}
                )
            if errors:
                checked.refused.append(RowError(index, errors))
                continue
            if key:
                seen_in_batch.setdefault(key, index)
            checked.accepted.append((index, item, on))
        return checked

    async def write_batch(
        self,
        uow,
        checked: CheckedBatch,
        *,
        submitted_by: str,
        import_job_id: str | None = None,
        idempotency: IdempotentRequest | None = None,
        autocommit: bool = False,
        order: WriteOrder | None = None,
    ) -> BatchResult:
        """Refuse what is already registered, then number and write the rest (not committed).

        ``autocommit``: the session runs without a transaction, so the write must be a single
        statement; :class:`NeedsTransaction` is raised, before anything is written, if it cannot be.
        ``order``: this batch's place after another batch still being written (see WriteOrder).
        """
        tenant, pack = checked.tenant, checked.pack
        result = BatchResult(refused=list(checked.refused))
        accepted = checked.accepted
        staged = checked.staged
        if (
            staged is not None
            and (staged.submitted_by, staged.import_job_id) == (submitted_by, import_job_id)
            and uow.session.bind.dialect.name == "postgresql"
        ):
            await self._write_staged(uow, result, tenant, staged, idempotency, order)
            return result
        existing = await self._registered(uow, tenant, [item for _, item, _ in accepted], order)
        to_register: list[tuple[MatterCreate, dt.date, str | None]] = []
        for index, item, on in accepted:
            duplicate_of = existing.get((item.source, item.source_reference)) if item.source_reference else None
            if duplicate_of and not item.duplicate_override:
                result.refused.append(
                    RowError(
                        index,
                        [
                            {
                                "field": "source_reference",
                                "reason": "this source and reference are already registered",
                                "existing_matter_id": duplicate_of,
                            }
                        ],
                    )
                )
                continue
            to_register.append((item, on, duplicate_of))
        if not to_register:
            return result

        received_at = utcnow()
        # Numbered by the day of registration in the tenant's time zone, whatever the dates sent.
        registered_on = pack.local_date(received_at)
        year = registered_on.year
        fmt = (
            safe_number_format(pack, MATTER_NUMBERING, year, registered_on)
            if uow.session.bind.dialect.name == "postgresql"
            else None
        )
        if fmt is not None:
            rows = self._sql_rows(
                tenant,
                [(index, item, on) for index, (item, on, _) in enumerate(to_register)],
                received_at,
                year,
                submitted_by,
                import_job_id,
            )
            for row, (_, _, duplicate_of) in zip(rows, to_register, strict=False):
                if duplicate_of:
                    _mark_duplicate(row, duplicate_of, import_job_id)
            await _wait_turn(order)
            await self._insert_sql_rows(
                uow, result, tenant, year, fmt, rows, received_at, submitted_by, import_job_id, idempotency
            )
        elif autocommit:
            raise NeedsTransaction()
        else:
            await _wait_turn(order)
            await self._write_numbered_in_python(
                uow, result, tenant, pack, year, to_register, received_at, submitted_by, import_job_id, idempotency
            )
        if order is not None:
            # Ids are made with the rows here, so the next batch hears of them once they are written.
            order.chosen(
                {
                    (m.row["source"], m.row["source_reference"]): m.id
                    for m in result.registered
                    if m.row["source_reference"]
                }
            )
        return result

    def stage_batch(
        self, checked: CheckedBatch, *, submitted_by: str, import_job_id: str | None = None, dialect: str
    ) -> CheckedBatch:
        """Build the accepted rows' matter, target, timeline and event data now, before the
        batch's transaction, when the batch can be written as one statement (PostgreSQL and a
        number pattern SQL can render). Pure CPU: a bulk import does it for the next batch
        while the current one is written. Ids, events and ``received_at`` are fixed here; the
        duplicate lookup and the numbers are still taken in the transaction."""
        if dialect != "postgresql" or not checked.accepted:
            return checked
        received_at = utcnow()
        registered_on = checked.pack.local_date(received_at)
        year = registered_on.year
        fmt = safe_number_format(checked.pack, MATTER_NUMBERING, year, registered_on)
        if fmt is None:
            return checked
        rows = self._sql_rows(checked.tenant, checked.accepted, received_at, year, submitted_by, import_job_id)
        checked.staged = StagedBatch(submitted_by, import_job_id, received_at, year, fmt, rows)
        return checked

    async def _registered(
        self, uow, tenant: str, items: list[MatterCreate], order: WriteOrder | None
    ) -> dict[tuple[str, str], str]:
        """(source, reference) → id of the matter already registered under it, for ``items``."""
        keys = [(i.source, i.source_reference) for i in items if i.source_reference]
        existing = await uow.repos.matters.existing_references(tenant, keys)
        pending = order.pending if order is not None else None
        if pending:
            for key in keys:
                if key in pending and key not in existing:
                    existing[key] = pending[key]
        return existing

    async def _write_staged(
        self,
        uow,
        result: BatchResult,
        tenant: str,
        staged: StagedBatch,
        idempotency: IdempotentRequest | None,
        order: WriteOrder | None = None,
    ) -> None:
        """Refuse what is already registered, then write the rest of a staged batch."""
        rows = staged.rows
        existing = await self._registered(uow, tenant, [r.item for r in rows], order)
        to_insert: list[SqlRow] = []
        for row in rows:
            item = row.item
            duplicate_of = existing.get((item.source, item.source_reference)) if item.source_reference else None
            if duplicate_of and not item.duplicate_override:
                result.refused.append(
                    RowError(
                        row.index,
                        [
                            {
                                "field": "source_reference",
                                "reason": "this source and reference are already registered",
                                "existing_matter_id": duplicate_of,
                            }
                        ],
                    )
                )
                continue
            if duplicate_of:
                _mark_duplicate(row, duplicate_of, staged.import_job_id)
            to_insert.append(row)
        if order is not None:
            order.chosen(
                {(r.item.source, r.item.source_reference): r.staged.id for r in to_insert if r.item.source_reference}
            )
        if to_insert:
            await _wait_turn(order)
            await self._insert_sql_rows(
                uow,
                result,
                tenant,
                staged.year,
                staged.fmt,
                to_insert,
                staged.received_at,
                staged.submitted_by,
                staged.import_job_id,
                idempotency,
            )

    def _sql_rows(
        self,
        tenant: str,
        accepted: list[tuple[int, MatterCreate, dt.date]],
        received_at: dt.datetime,
        year: int,
        submitted_by: str,
        import_job_id: str | None,
    ) -> list[SqlRow]:
        """The statement's input for each item, as if none were a duplicate (see _mark_duplicate)."""
        rows: list[SqlRow] = []
        for index, item, on in accepted:
            matter_id = new_id()
            target_rows = _target_rows(matter_id, item)
            attachment_rows = [
                {"id": new_id(), "matter_id": matter_id, "position": pos, **a.model_dump()}
                for pos, a in enumerate(item.attachments)
            ]
            event = MatterReceived(
                tenant=tenant,
                matter_id=matter_id,
                occurred_at=received_at,
                number=NUMBER_PLACEHOLDER,
                source=item.source,
                source_reference=item.source_reference,
                summary=item.summary,
                key_supervised=item.key_supervised,
                proposed_form=item.proposed_form,
                targets=[TargetSnapshot(**{k: t[k] for k in TargetSnapshot.model_fields}) for t in target_rows],
            )
            row = _matter_row(
                matter_id, tenant, item, on, received_at, year, submitted_by, None, import_job_id, target_rows
            )
            matter = {
                "id": matter_id,
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
                "detail": _received_detail(item, import_job_id, None, number=None),
                "event_id": str(event.event_id),
                "payload": event.model_dump_json(),
            }
            sql_row = SqlRow(index, item, matter, event.subject, StagedMatter(row, target_rows, attachment_rows))
            sql_row.serialise()
            rows.append(sql_row)
        return rows

    async def _insert_sql_rows(
        self,
        uow,
        result: BatchResult,
        tenant: str,
        year: int,
        fmt: NumberFormat,
        rows: list[SqlRow],
        received_at: dt.datetime,
        submitted_by: str,
        import_job_id: str | None,
        idempotency: IdempotentRequest | None,
    ) -> None:
        """PostgreSQL: one statement takes the numbers and writes every row (see numbered_insert)."""
        # Joined from the rows' JSON; each matter gets its position ("ord", 1..n) in front.
        matters = (
            "["
            + ",".join(f'{{"ord":{ordinal},{row.matter_json[1:]}' for ordinal, row in enumerate(rows, start=1))
            + "]"
        )
        targets = "[" + ",".join(row.targets_json for row in rows if row.targets_json) + "]"
        attachments = (
            "[" + ",".join(row.attachments_json for row in rows if row.attachments_json) + "]"
            if any(row.attachments_json for row in rows)
            else None
        )
        staged = [row.staged for row in rows]
        stored_idempotency = None
        if idempotency is not None:
            if len(staged) != 1:
                raise ValueError("an Idempotency-Key covers one matter, not a batch")
            # The stored answer is the response body; the statement puts the number in.
            staged[0].row.update(number=NUMBER_PLACEHOLDER, seq=0)
            response = staged[0].read().model_dump(mode="json")
            stored_idempotency = StoredIdempotency(idempotency.key, idempotency.fingerprint, response)
        numbers = await insert_numbered(
            uow.session,
            tenant=tenant,
            year=year,
            fmt=fmt,
            received_at=received_at,
            submitted_by=submitted_by,
            import_job_id=import_job_id,
            subject=rows[0].subject,
            headers=current_trace_headers(),
            matters=matters,
            targets=targets,
            attachments=attachments,
            idempotency=stored_idempotency,
            count=len(rows),
        )
        for matter in staged:
            matter.row["seq"], matter.row["number"] = numbers[matter.id]
        result.registered.extend(staged)

    async def _write_numbered_in_python(
        self,
        uow,
        result: BatchResult,
        tenant: str,
        pack,
        year: int,
        to_register,
        received_at: dt.datetime,
        submitted_by: str,
        import_job_id: str | None,
        idempotency: IdempotentRequest | None,
    ) -> None:
        numbers = await uow.repos.matters.reserve_numbers(tenant, year, len(to_register))
        registered_on = pack.local_date(received_at)
        matters, targets, attachments, timeline = [], [], [], []
        for seq, (item, on, duplicate_of) in zip(numbers, to_register, strict=True):
            matter_id = new_id()
            number = pack.number(MATTER_NUMBERING, year, seq, registered_on)
            target_rows = _target_rows(matter_id, item)
            row = _matter_row(
                matter_id, tenant, item, on, received_at, year, submitted_by, duplicate_of, import_job_id, target_rows
            )
            row.update(number=number, seq=seq)
            attachment_rows = [
                {"id": new_id(), "matter_id": matter_id, "position": pos, **a.model_dump()}
                for pos, a in enumerate(item.attachments)
            ]
            matters.append(row)
            targets.extend(target_rows)
            attachments.extend(attachment_rows)
            timeline.append(
                {
                    "matter_id": matter_id,
                    "at": received_at,
                    "actor": submitted_by,
                    "action": "received",
                    "state": "received",
                    "detail": _received_detail(item, import_job_id, duplicate_of, number=number),
                }
            )
            uow.publish(
                MatterReceived(
                    tenant=tenant,
                    matter_id=matter_id,
                    occurred_at=received_at,
                    number=number,
                    source=item.source,
                    source_reference=item.source_reference,
                    summary=item.summary,
                    key_supervised=item.key_supervised,
                    proposed_form=item.proposed_form,
                    targets=[TargetSnapshot(**{k: t[k] for k in TargetSnapshot.model_fields}) for t in target_rows],
                )
            )
            result.registered.append(StagedMatter(row, target_rows, attachment_rows))
        await uow.repos.matters.add_bulk(matters, targets, attachments, timeline)
        if idempotency is not None:
            uow.repos.idempotency.store(
                tenant,
                idempotency.key,
                idempotency.fingerprint,
                201,
                result.registered[0].read().model_dump(mode="json"),
            )

    def _check(
        self,
        pack: RulePack,
        item: MatterCreate,
        on: dt.date,
        today: dt.date,
        sources_on: dict[dt.date, set[str] | RulesError],
    ) -> list[dict[str, str]]:
        """Checks that need the tenant's pack or the attachment store (the schema did the rest).

        ``sources_on`` keeps the pack's intake sources per date for the batch: most rows of a
        bulk file share one date, and the pack rebuilds the list on every call."""
        if on > today:
            return [
                {
                    "field": "relevant_date",
                    "reason": f"{on.isoformat()} is in the future: today is {today.isoformat()} "
                    f"in {pack.tenant}'s time zone",
                }
            ]
        errors: list[dict[str, str]] = []
        sources = sources_on.get(on)
        if sources is None:
            try:
                sources = {s.code for s in pack.intake_sources(on)}
            except RulesError as exc:
                sources = exc
            sources_on[on] = sources
        if isinstance(sources, RulesError):
            return [{"field": "relevant_date", "reason": str(sources)}]
        if item.source not in sources:
            errors.append(
                {
                    "field": "source",
                    "reason": f"unknown intake source {item.source!r}; known: {', '.join(sorted(sources))}",
                }
            )
        errors.extend(_vocabulary_errors(pack, item))
        for pos, attachment in enumerate(item.attachments):
            size = self.attachments.size_of(pack.tenant, attachment.sha256)
            if size is None:
                errors.append(
                    {
                        "field": f"attachments.{pos}.sha256",
                        "reason": "no uploaded file has this sha256; upload it to /v1/attachments first",
                    }
                )
            elif size != attachment.size:
                errors.append(
                    {
                        "field": f"attachments.{pos}.size",
                        "reason": f"the uploaded file has {size} bytes, not {attachment.size}",
                    }
                )
        return errors

    # -- acceptance (受理) ---------------------------------------------------------------

    async def decide_acceptance(self, principal: Principal, matter_id: str, data: AcceptanceCreate) -> MatterRead:
        if data.outcome != "accepted" and not data.reason:
            raise invalid("body.reason", f"a reason is required when the outcome is {data.outcome}")
        if data.outcome == "transferred" and not data.transferred_to:
            raise invalid("body.transferred_to", "name the body the matter is transferred to")
        if data.study_date > get_pack(principal.tenant).today():
            raise invalid("body.study_date", "the collective study cannot be in the future")
        async with self.uow() as uow:
            matter = await uow.repos.matters.get(principal.tenant, matter_id)
            if matter is None:
                raise MatterNotFound(f"no matter {matter_id} in this tenant")
            now = utcnow()
            acceptance = {
                "outcome": data.outcome,
                "reason": data.reason,
                "transferred_to": data.transferred_to,
                "participants": data.participants,
                "study_date": data.study_date.isoformat(),
                "decided_by": principal.username,
                "decided_at": now.isoformat(),
            }
            await uow.repos.matters.move(
                matter,
                _ACCEPTANCE_ACTIONS[data.outcome],
                detail=f"matter {matter.number} is {matter.state}; acceptance was already decided",
                acceptance=acceptance,
            )
            uow.repos.matters.add_timeline(
                matter.id,
                principal.username,
                "acceptance_decided",
                data.outcome,
                {k: v for k, v in acceptance.items() if k != "decided_by"},
            )
            targets = [TargetSnapshot.model_validate(t, from_attributes=True) for t in matter.targets]
            if data.outcome == "accepted":
                uow.publish(
                    MatterAccepted(
                        tenant=matter.tenant,
                        matter_id=matter.id,
                        occurred_at=now,
                        number=matter.number,
                        source=matter.source,
                        summary=matter.summary,
                        facts=matter.facts,
                        key_supervised=matter.key_supervised,
                        proposed_form=matter.proposed_form,
                        targets=targets,
                        study_date=data.study_date,
                        participants=data.participants,
                        accepted_by=principal.username,
                        relevant_date=matter.relevant_date,
                    )
                )
            else:
                uow.publish(
                    MatterRejected(
                        tenant=matter.tenant,
                        matter_id=matter.id,
                        occurred_at=now,
                        number=matter.number,
                        outcome=data.outcome,
                        reason=data.reason or "",
                        transferred_to=data.transferred_to,
                        study_date=data.study_date,
                        participants=data.participants,
                        decided_by=principal.username,
                    )
                )
            read = MatterRead.model_validate(matter)
            await uow.commit()
            return read

    # -- reading ------------------------------------------------------------------------

    async def get(self, principal: Principal, matter_id: str) -> MatterRead:
        async with self.uow() as uow:
            return await self._read(uow, principal.tenant, matter_id)

    async def _read(self, uow, tenant: str, matter_id: str) -> MatterRead:
        matter = await uow.repos.matters.get(tenant, matter_id)
        if matter is None:
            raise MatterNotFound(f"no matter {matter_id} in this tenant")
        return MatterRead.model_validate(matter)

    async def list(self, principal: Principal, filters: MatterFilters, cursor: str | None, limit: int) -> MatterPage:
        zone = get_pack(principal.tenant).time_zone
        async with self.uow() as uow:
            rows = await uow.repos.matters.list(principal.tenant, filters, cursor, limit + 1, zone=zone)
            page = rows[:limit]
            return MatterPage(
                items=[MatterRead.model_validate(m) for m in page],
                next_cursor=encode_cursor(page[-1]) if len(rows) > limit else None,
            )

    async def timeline(self, principal: Principal, matter_id: str) -> list[TimelineEntryRead]:
        async with self.uow() as uow:
            if await uow.repos.matters.get(principal.tenant, matter_id) is None:
                raise MatterNotFound(f"no matter {matter_id} in this tenant")
            return [TimelineEntryRead.model_validate(e) for e in await uow.repos.matters.timeline(matter_id)]


def _mark_duplicate(row: SqlRow, duplicate_of: str, import_job_id: str | None) -> None:
    """An item registered again on purpose (duplicate_override) records what it repeats."""
    row.matter["duplicate_of"] = duplicate_of
    row.matter["detail"] = _received_detail(row.item, import_job_id, duplicate_of, number=None)
    row.staged.row["duplicate_of"] = duplicate_of
    row.serialise()


def _target_rows(matter_id: str, item: MatterCreate) -> list[dict]:
    rows = []
    for pos, target in enumerate(item.targets):
        # The field dict, not getattr(target, name, None): a field the target's kind lacks
        # goes through pydantic's __getattr__ and an AttributeError, per field and per row.
        fields = target.__dict__
        rows.append(
            {
                "id": new_id(),
                "matter_id": matter_id,
                "position": pos,
                "kind": target.kind,
                **{name: fields.get(name) for name in _TARGET_FIELDS},
            }
        )
    return rows


_TARGET_FIELDS = ("name", "post", "unit", "cadre_level", "sector", "party_member", "org_level")


def _matter_row(
    matter_id: str,
    tenant: str,
    item: MatterCreate,
    on: dt.date,
    received_at: dt.datetime,
    year: int,
    submitted_by: str,
    duplicate_of: str | None,
    import_job_id: str | None,
    target_rows: list[dict],
) -> dict:
    """The matter's columns except ``number`` and ``seq``, which numbering fills in."""
    names = " ".join(t["name"] for t in target_rows if t["name"])
    return {
        "id": matter_id,
        "tenant": tenant,
        "year": year,
        "state": "received",
        "source": item.source,
        "source_reference": item.source_reference,
        "summary": item.summary,
        "facts": item.facts,
        "proposed_form": item.proposed_form,
        "key_supervised": item.key_supervised,
        "relevant_date": on,
        "received_at": received_at,
        "submitted_by": submitted_by,
        "duplicate_of": duplicate_of,
        "duplicate_override_reason": item.duplicate_override.reason if item.duplicate_override else None,
        "acceptance": None,
        "import_job_id": import_job_id,
        "search_text": f"{item.summary}\n{item.facts}\n{names}",
    }


def _received_detail(
    item: MatterCreate, import_job_id: str | None, duplicate_of: str | None, *, number: str | None
) -> dict:
    detail: dict = {"number": number} if number is not None else {}
    detail["source"] = item.source
    if import_job_id:
        detail["import_job_id"] = import_job_id
    if duplicate_of:
        detail["duplicate_of"] = duplicate_of
        detail["duplicate_override_reason"] = item.duplicate_override.reason
    return detail


# Target and matter fields whose codes come from the tenant's vocabulary, when the pack has one.
_VOCABULARY_FIELDS = (("cadre_level", "cadre_levels"), ("sector", "sectors"), ("org_level", "organisation_levels"))


def _vocabulary_errors(pack, item: MatterCreate) -> list[dict[str, str]]:
    errors = []

    def check(field: str, value: str | None, vocabulary: str) -> None:
        known = pack.vocabulary.get(vocabulary)
        if value is not None and known is not None and value not in known:
            listed = ", ".join(f"{code} ({label})" for code, label in known.items())
            errors.append({"field": field, "reason": f"{value!r} is not in {pack.tenant}'s {vocabulary}: {listed}"})

    check("proposed_form", item.proposed_form, "forms")
    for pos, target in enumerate(item.targets):
        for attribute, vocabulary in _VOCABULARY_FIELDS:
            check(f"targets.{pos}.{attribute}", getattr(target, attribute, None), vocabulary)
    return errors


def _as_problem(refused: RowError):
    duplicate = next((e for e in refused.errors if "existing_matter_id" in e), None)
    if duplicate:
        return DuplicateMatter(
            "this source and source reference are already registered as matter "
            f"{duplicate['existing_matter_id']}; resubmit with duplicate_override.reason to register it again",
            extra={
                "existing_matter_id": duplicate["existing_matter_id"],
                "errors": [{"field": "body.source_reference", "reason": duplicate["reason"]}],
            },
        )
    errors = [{"field": f"body.{e['field']}", "reason": e["reason"]} for e in refused.errors]
    problem = invalid(errors[0]["field"], errors[0]["reason"])
    problem.extra["errors"] = errors
    problem.detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem
