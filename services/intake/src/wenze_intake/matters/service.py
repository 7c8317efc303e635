"""Registering, accepting and reading matters.

Single submissions and bulk imports take the same steps (see ``batches``), so a matter is
validated, numbered and announced the same way whichever door it came in by:
:meth:`MatterService.check_batch`, :meth:`MatterService.stage_batch` and
:meth:`MatterService.write_batch`. The service checks and refuses; its
:class:`~wenze_intake.matters.writers.MatterWriter` numbers and writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError

from wenze.auth.access import authorise_step, may_read, read_scope
from wenze.auth.capabilities import MATTER_ACCEPT
from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events.intake import MatterRejected
from wenze.persons import PersonReferences
from wenze.problems import Problem, ValidationFailed, invalid
from wenze.rules import IntakeSource, RulePack, get_pack
from wenze.rules.errors import RulesError
from wenze.rules.facts import unknown_target_codes
from wenze_intake.attachments.storage import AttachmentStore
from wenze_intake.audit import LISTED, SYSTEM, Caller
from wenze_intake.errors import DuplicateMatter, MatterNotFound
from wenze_intake.matters.batches import (
    BatchResult,
    CheckedBatch,
    Registration,
    RowError,
    StagedBatch,
)
from wenze_intake.matters.events import accepted_event
from wenze_intake.matters.models import Matter, MatterState
from wenze_intake.matters.repository import encode_cursor
from wenze_intake.matters.schemas import (
    AcceptanceCreate,
    MatterCreate,
    MatterFilters,
    MatterPage,
    MatterRead,
    TimelineEntryRead,
)
from wenze_intake.matters.writers import MatterWriter
from wenze_intake.repositories import IntakeUnitOfWork, IntakeUnitOfWorkFactory

# Why a repeat of a registered matter is refused; the refusal names that matter's id where
# its reader may see it.
_ALREADY_REGISTERED = "this source and reference are already registered"
# The action of the matter's state machine that records each acceptance outcome.
_ACCEPTANCE_ACTIONS = {"accepted": "accept", "not_accepted": "reject", "transferred": "transfer"}


class MatterService:
    def __init__(
        self,
        uow: IntakeUnitOfWorkFactory,
        attachments: AttachmentStore,
        writer: MatterWriter,
        person_refs: PersonReferences,
    ):
        self.uow = uow
        self.attachments = attachments
        self.writer = writer
        self.person_refs = person_refs

    def sources(self, principal: Principal) -> list[IntakeSource]:
        """The tenant's intake sources in force today."""
        pack = get_pack(principal.tenant)
        return pack.intake_sources(pack.today())

    # -- registering ------------------------------------------------------------------

    async def submit(
        self, caller: Caller, data: MatterCreate, idempotency: IdempotentRequest | None = None
    ) -> MatterRead:
        """Register one matter, or answer a retry of the same request as the first time.

        Submitting is no step on a matter yet: the capability is enough, whoever the targets
        are, and the submitter's office is party to the matter from then on."""
        principal = caller.principal
        checked = self.check_batch(principal.tenant, [data])
        # Written with the matter, its id and number filled in (numbered_insert).
        submitted = caller.did("matter.submit", "matter", "")
        self.stage_batch(checked, submitted_by=principal.username, submitter_office=principal.office, audit=submitted)
        async with self.uow() as uow:
            if idempotency:
                replay = await idempotency.replay(uow.repos.idempotency)
                if replay is not None:
                    return MatterRead.model_validate(replay)
            if checked.refused:
                raise _as_problem(checked.refused[0])
            try:
                result = await self.write_batch(uow, checked, idempotency=idempotency)
                if result.refused:
                    raise await self._refusal(uow, principal, result.refused[0])
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

    async def _refusal(self, uow: IntakeUnitOfWork, principal: Principal, refused: RowError) -> Problem:
        """The problem for a refused submission; the matter it repeats is named only to a
        caller who may read it (the refusal alone says that the reference is registered)."""
        existing = [e["existing_matter_id"] for e in refused.errors if "existing_matter_id" in e]
        readable = await uow.repos.matters.visible_ids(principal.tenant, read_scope(principal), existing)
        return _as_problem(RowError(refused.index, [named_if_readable(e, readable) for e in refused.errors]))

    def check_batch(self, tenant: str, items: list[MatterCreate], rows: list[int] | None = None) -> CheckedBatch:
        """The checks that need no database: dates, sources, vocabularies, attachments, repeats
        within the batch. Pure CPU, so a bulk import runs it for the next batch while this one is written.

        ``rows`` numbers the items as their sender sees them (a file's row numbers), for the
        refusal of an item that repeats an earlier one; by default 1, 2, 3..."""
        pack = get_pack(tenant)
        checked = CheckedBatch(tenant=tenant, pack=pack)
        today = pack.today()
        seen_in_batch: dict[tuple[str, str], int] = {}
        sources_on: dict[dt.date, set[str] | RulesError] = {}
        for index, item in enumerate(items):
            on = item.relevant_date or today
            errors = self._check(pack, item, on, today, sources_on)
            key = (item.source, item.source_reference) if item.source_reference else None
            if key and key in seen_in_batch and not item.duplicate_override:
                first = seen_in_batch[key]
                repeat = {
                    "field": "source_reference",
                    "reason": f"repeats row {rows[first] if rows else first + 1} of this file",
                    "code": "repeats_earlier_row",
                }
                errors.append(repeat)
                checked.repeats_of_earlier.append((repeat, first))
            if errors:
                checked.refused.append(RowError(index, errors))
                continue
            if key:
                seen_in_batch.setdefault(key, index)
            checked.accepted.append((index, item, on))
        return checked

    def stage_batch(
        self,
        checked: CheckedBatch,
        *,
        submitted_by: str,
        submitter_office: str | None = None,
        import_job_id: str | None = None,
        audit: AuditRecord | None = None,
    ) -> StagedBatch:
        """Turn the accepted items into their rows and events now, before the batch's
        transaction; the result is also kept as ``checked.staged``. Pure CPU: a bulk import does
        it for the next batch while the current one is written. Ids, events and ``received_at``
        are fixed here; the duplicate lookup and the numbers are still taken in the transaction."""
        registration = Registration.now(
            checked.pack, submitted_by, import_job_id, submitter_office, person_refs=self.person_refs, audit=audit
        )
        checked.staged = self.writer.stage(registration, checked.accepted)
        return checked.staged

    async def write_batch(
        self, uow: IntakeUnitOfWork, checked: CheckedBatch, *, idempotency: IdempotentRequest | None = None
    ) -> BatchResult:
        """Refuse what is already registered, then number and write the rest of a staged batch
        in ``uow`` (not committed)."""
        staged = checked.staged
        if staged is None:
            raise ValueError("stage the batch (stage_batch) before writing it")
        result = BatchResult(refused=list(checked.refused))
        registered = await self.writer.register(uow, staged, idempotency)
        for row, duplicate_of in registered.repeats:
            result.refused.append(
                RowError(
                    row.index,
                    [
                        {
                            "field": "source_reference",
                            "reason": _ALREADY_REGISTERED,
                            "code": "already_registered",
                            "existing_matter_id": duplicate_of,
                        }
                    ],
                )
            )
        result.registered.extend(row.matter for row in registered.written)
        # A repeat of an earlier item names the matter that item became, or, where that item
        # itself repeated a registered matter, that one.
        matter_of = {row.index: row.matter.id for row in registered.written}
        matter_of.update((row.index, duplicate_of) for row, duplicate_of in registered.repeats)
        for error, first in checked.repeats_of_earlier:
            if first in matter_of:
                error["existing_matter_id"] = matter_of[first]
        return result

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
                    "code": "relevant_date_in_future",
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
            return [{"field": "relevant_date", "reason": str(sources), "code": "no_rules_on_date"}]
        if item.source not in sources:
            errors.append(
                {
                    "field": "source",
                    "reason": f"unknown intake source {item.source!r}; known: {', '.join(sorted(sources))}",
                    "code": "unknown_intake_source",
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
                        "code": "attachment_not_uploaded",
                    }
                )
            elif size != attachment.size:
                errors.append(
                    {
                        "field": f"attachments.{pos}.size",
                        "reason": f"the uploaded file has {size} bytes, not {attachment.size}",
                        "code": "attachment_size_mismatch",
                    }
                )
        return errors

    # -- acceptance (受理) ---------------------------------------------------------------

    async def decide_acceptance(
        self,
        caller: Caller,
        matter_id: str,
        data: AcceptanceCreate,
        idempotency: IdempotentRequest | None = None,
    ) -> MatterRead:
        principal = caller.principal
        if data.outcome != "accepted" and not data.reason:
            raise invalid(
                "body.reason", f"a reason is required when the outcome is {data.outcome}", code="reason_required"
            )
        if data.outcome == "transferred" and not data.transferred_to:
            raise invalid(
                "body.transferred_to", "name the body the matter is transferred to", code="transfer_body_required"
            )
        if data.study_date > get_pack(principal.tenant).today():
            raise invalid(
                "body.study_date", "the collective study cannot be in the future", code="study_date_in_future"
            )

        async def decide(uow: IntakeUnitOfWork) -> dict[str, Any]:
            matter = await self._readable(uow, principal, matter_id)
            # Acceptance belongs to the tenant's accepting office (the central intake office).
            # The packs do not name it: the tenant's administrator does, by granting
            # matter:accept to that office's users only, so the office holding the capability
            # is the step's office. Its authority over the targets' levels and its linked
            # units still apply; nothing in intake assigns a matter to an office by name.
            authorise_step(
                principal,
                await uow.repos.matters.access_of(matter),
                step=f"acceptance of matter {matter.number}",
                offices=[principal.office] if principal.office else [],
                capability=MATTER_ACCEPT,
            )
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
            action = _ACCEPTANCE_ACTIONS[data.outcome]
            await uow.repos.matters.move(
                matter,
                action,
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
            if data.outcome == "accepted":
                uow.publish(accepted_event(matter, now, data.study_date, data.participants, principal.username))
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
            read = MatterRead.model_validate(matter).model_dump(mode="json")
            await uow.repos.audit.append(
                principal.tenant,
                [caller.did(f"matter.{action}", "matter", matter.id, number=matter.number, outcome=data.outcome)],
            )
            return read

        return MatterRead.model_validate(await run_once(self.uow, idempotency, decide))

    async def open_by_rule(
        self, uow: IntakeUnitOfWork, tenant: str, item: MatterCreate, *, reason: str, detail: dict[str, Any]
    ) -> Matter:
        """Register and accept, in ``uow`` (not committed), a matter the platform opens itself
        because its rules require it (a counted trigger, ``counted_triggers``).

        No one submits or studies it: the platform registers it as any matter is registered
        and accepts it at once, the rule's articles being its acceptance's ``reason``; the
        "opened_by_rule" timeline entry keeps ``detail`` (what fired and on which decisions)."""
        checked = self.check_batch(tenant, [item])
        self.stage_batch(checked, submitted_by=SYSTEM)
        result = await self.write_batch(uow, checked)
        if result.refused:
            # The pack's binding is checked when the pack loads; a refusal here is a bug.
            raise RuntimeError(f"{tenant}: the matter its rules open was refused: {result.refused[0].errors}")
        matter = await uow.repos.matters.get(tenant, result.registered[0].id)
        assert matter is not None
        now = utcnow()
        study_date = checked.pack.local_date(now)
        acceptance: dict[str, Any] = {
            "outcome": "accepted",
            "reason": reason,
            "transferred_to": None,
            "participants": [],
            "study_date": study_date.isoformat(),
            "decided_by": SYSTEM,
            "decided_at": now.isoformat(),
        }
        uow.repos.matters.add_timeline(matter.id, SYSTEM, "opened_by_rule", MatterState.RECEIVED, detail)
        await uow.repos.matters.move(
            matter, "accept", detail=f"matter {matter.number} is {matter.state}", acceptance=acceptance
        )
        uow.repos.matters.add_timeline(
            matter.id,
            SYSTEM,
            "acceptance_decided",
            "accepted",
            {k: v for k, v in acceptance.items() if k != "decided_by"},
        )
        uow.publish(accepted_event(matter, now, study_date, [], SYSTEM))
        return matter

    # -- reading ------------------------------------------------------------------------

    async def _readable(self, uow: IntakeUnitOfWork, principal: Principal, matter_id: str) -> Matter:
        """The matter if the caller may read it; otherwise not found, whether it exists or not,
        so a refusal never tells that someone else's matter exists."""
        matter = await uow.repos.matters.get(principal.tenant, matter_id)
        if matter is None or not may_read(principal, await uow.repos.matters.access_of(matter)):
            raise MatterNotFound(f"no matter {matter_id} that you may read")
        return matter

    async def get(self, caller: Caller, matter_id: str) -> MatterRead:
        async with self.uow() as uow:
            matter = await self._readable(uow, caller.principal, matter_id)
            read = MatterRead.model_validate(matter)
            # A read of a matter's content is audited like a change: who looked at which matter.
            await uow.repos.audit.append(caller.tenant, [caller.did("matter.read", "matter", matter.id)])
            await uow.commit()
            return read

    async def list_matters(self, caller: Caller, filters: MatterFilters, cursor: str | None, limit: int) -> MatterPage:
        principal = caller.principal
        zone = get_pack(principal.tenant).time_zone
        async with self.uow() as uow:
            rows = await uow.repos.matters.list_matters(
                principal.tenant, read_scope(principal), filters, cursor, limit + 1, zone=zone
            )
            page = rows[:limit]
            listed = MatterPage(
                items=[MatterRead.model_validate(m) for m in page],
                next_cursor=encode_cursor(page[-1]) if len(rows) > limit else None,
            )
            # A page shows the matters' content: one entry names the filters and what was shown.
            await uow.repos.audit.append(
                principal.tenant,
                [
                    caller.did(
                        "matter.list",
                        "matter",
                        LISTED,
                        filters=filters.model_dump(mode="json", exclude_none=True),
                        cursor=cursor is not None,
                        count=len(page),
                        ids=[m.id for m in page],
                    )
                ],
            )
            await uow.commit()
            return listed

    async def timeline(self, caller: Caller, matter_id: str) -> list[TimelineEntryRead]:
        async with self.uow() as uow:
            matter = await self._readable(uow, caller.principal, matter_id)
            entries = [TimelineEntryRead.model_validate(e) for e in await uow.repos.matters.timeline(matter.id)]
            await uow.repos.audit.append(caller.tenant, [caller.did("matter.timeline.read", "matter", matter.id)])
            await uow.commit()
            return entries


# Target and matter fields whose codes come from the tenant's vocabulary, when the pack has one.
def named_if_readable(error: Any, readable: set[str]) -> Any:
    """A row's refusal without the id of the registered matter it repeats, unless that matter
    is in ``readable`` (the matters the reader may read)."""
    if isinstance(error, dict) and "existing_matter_id" in error and error["existing_matter_id"] not in readable:
        return {k: v for k, v in error.items() if k != "existing_matter_id"}
    return error


def _vocabulary_errors(pack: RulePack, item: MatterCreate) -> list[dict[str, str]]:
    def error(field: str, value: Any, vocabulary: str) -> dict[str, str]:
        listed = ", ".join(f"{code} ({label})" for code, label in pack.vocabulary[vocabulary].items())
        return {
            "field": field,
            "reason": f"{value!r} is not in {pack.tenant}'s {vocabulary}: {listed}",
            "code": "not_in_vocabulary",
        }

    errors = []
    forms = pack.vocabulary.get("forms")
    if item.proposed_form is not None and forms is not None and item.proposed_form not in forms:
        errors.append(error("proposed_form", item.proposed_form, "forms"))
    for pos, target in enumerate(item.targets):
        for attribute, vocabulary, value in unknown_target_codes(pack.vocabulary, target):
            errors.append(error(f"targets.{pos}.{attribute}", value, vocabulary))
    return errors


def _as_problem(refused: RowError) -> Problem:
    duplicate = next((e for e in refused.errors if e.get("code") == "already_registered"), None)
    if duplicate:
        existing = duplicate.get("existing_matter_id")
        named = f" as matter {existing}" if existing else ""
        return DuplicateMatter(
            f"this source and source reference are already registered{named}; "
            "resubmit with duplicate_override.reason to register it again",
            extra={
                **({"existing_matter_id": existing} if existing else {}),
                "errors": [
                    {"field": "body.source_reference", "reason": duplicate["reason"], "code": duplicate["code"]}
                ],
            },
        )
    # Every field at fault, each in invalid()'s shape.
    errors = [{"field": f"body.{e['field']}", "reason": e["reason"], "code": e["code"]} for e in refused.errors]
    return ValidationFailed("; ".join(f"{e['field']}: {e['reason']}" for e in errors), extra={"errors": errors})
