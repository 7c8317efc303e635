"""A batch of matters on its way in: checked, staged, written.

One submission is a batch of one; a bulk import writes its file in batches. Each step hands
the next a plain object, so a newcomer can follow a matter from the request to the rows:

1. :class:`CheckedBatch`: the items that passed the checks needing no database, and the
   refused ones with their reasons (``MatterService.check_batch``);
2. :class:`StagedBatch`: every accepted item turned into its rows and event, everything but
   its number (``MatterWriter.stage``);
3. :class:`BatchResult`: what was registered and what was refused, once the repeats of
   registered matters are refused and the rest numbered and written (``MatterService.write_batch``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from wenze.db.audit import AuditRecord
from wenze.db.base import utcnow
from wenze.persons import PersonReferences
from wenze.rules import RulePack
from wenze_intake.matters.numbered_insert import NumberFormat
from wenze_intake.matters.schemas import MatterCreate, MatterRead


@dataclass
class RowError:
    """Why one item of a batch was refused: for each field at fault, its path, a reason and the reason's code."""

    index: int
    errors: list[dict[str, str]]


@dataclass
class CheckedBatch:
    """A batch after the checks that need no database; :meth:`MatterService.stage_batch` stages it."""

    tenant: str
    pack: RulePack
    # (index in the request or file, the item, the date its rules are judged by)
    accepted: list[tuple[int, MatterCreate, dt.date]] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)
    # Refusals of items repeating an earlier item of the batch, each with that item's index:
    # the matter it becomes is named once the batch is written.
    repeats_of_earlier: list[tuple[dict[str, str], int]] = field(default_factory=list)
    staged: StagedBatch | None = None


@dataclass(frozen=True)
class Registration:
    """Who registers a batch (the username and the office it acts for), and when: the day in
    the tenant's time zone gives the numbers' year."""

    pack: RulePack
    submitted_by: str
    import_job_id: str | None
    received_at: dt.datetime
    registered_on: dt.date
    submitter_office: str | None = None
    # Turns the persons' identity numbers into their references as the rows are staged.
    person_refs: PersonReferences = field(kw_only=True)
    # Audited for each matter written, with the matter as its object and its number added to the
    # detail; written with the matters, so the counter's lock is not held for a round trip more.
    audit: AuditRecord | None = field(default=None, kw_only=True)

    @classmethod
    def now(
        cls,
        pack: RulePack,
        submitted_by: str,
        import_job_id: str | None,
        submitter_office: str | None = None,
        *,
        person_refs: PersonReferences,
        audit: AuditRecord | None = None,
    ) -> Registration:
        received_at = utcnow()
        return cls(
            pack,
            submitter_office=submitter_office,
            submitted_by=submitted_by,
            import_job_id=import_job_id,
            received_at=received_at,
            registered_on=pack.local_date(received_at),
            person_refs=person_refs,
            audit=audit,
        )

    def audit_of(self, matter_id: str, number: str) -> AuditRecord:
        """The registration's audit entry for one matter it wrote."""
        assert self.audit is not None, "a registration without an audit entry audits nothing"
        return replace(self.audit, object_id=matter_id, detail={**self.audit.detail, "number": number})

    @property
    def tenant(self) -> str:
        return self.pack.tenant

    @property
    def year(self) -> int:
        return self.registered_on.year


@dataclass
class StagedMatter:
    """A matter's rows as written: the matter (``number`` and ``seq`` once numbered), its
    targets and its attachments."""

    row: dict[str, Any]
    targets: list[dict[str, Any]]
    attachments: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return self.row["id"]

    def read(self) -> MatterRead:
        return MatterRead.model_validate({**self.row, "targets": self.targets, "attachments": self.attachments})


@dataclass
class StagedRow:
    """One accepted item, staged: everything but its number."""

    index: int
    item: MatterCreate
    matter: StagedMatter

    @property
    def reference(self) -> tuple[str, str] | None:
        """The (source, source reference) a repeat is recognised by, if the item has a reference."""
        return (self.item.source, self.item.source_reference) if self.item.source_reference else None

    def repeats(self, duplicate_of: str) -> None:
        """Registered again on purpose (``duplicate_override``): the matter records what it repeats."""
        self.matter.row["duplicate_of"] = duplicate_of


@dataclass
class StagedBatch:
    registration: Registration
    rows: list[StagedRow]
    # The number pattern as SQL renders it, when the batch is written in one statement.
    number_format: NumberFormat | None = None


@dataclass
class BatchResult:
    registered: list[StagedMatter] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)
