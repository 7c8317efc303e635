"""The read model: what reporting keeps of every service's events, one table per kind of fact.

Each table is a projection of events only, so ``wenze-reporting rebuild`` can empty it and
replay the streams into it. Every column an event sets meets the stored value by a merge rule
(``ledger.repository.Merge``: the event's, the stored one where there is one, the earlier date,
a union), so the rows end the same whatever order the streams are read in (intake's, routing's
and review's events reach reporting on separate consumers, in no fixed order between them).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr

CODE_LENGTH: Final = 80
# A target's unit and name as intake accepts them (its ShortText).
TEXT_LENGTH: Final = 500
NUMBER_LENGTH: Final = 80


class ReportMatter(Base):
    """One accountability matter: when it was received, accepted or rejected, routed, decided."""

    __tablename__ = "report_matters"
    __table_args__ = (
        Index("ix_report_matters_received", "tenant", "received_on"),
        Index("ix_report_matters_accepted", "tenant", "accepted_on"),
        Index("ix_report_matters_rejected", "tenant", "rejected_on"),
        Index("ix_report_matters_consultation", "tenant", "consultation_requested_on"),
        Index("ix_report_matters_routed", "tenant", "routed_on"),
        Index("ix_report_matters_decided", "tenant", "decided_on"),
    )

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    source: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    proposed_form: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    key_supervised: Mapped[bool | None] = mapped_column(Boolean)
    summary: Mapped[str | None] = mapped_column(Text)
    # As intake names them (routing's copy where intake's is not in yet), and as review's
    # investigations identified them: two columns, so neither overwrites the other.
    targets: Mapped[list] = mapped_column(default=list)
    identified_targets: Mapped[list] = mapped_column(default=list)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    rejected_on: Mapped[dt.date | None] = mapped_column(Date)
    rejection: Mapped[str | None] = mapped_column(String(20))
    routed_on: Mapped[dt.date | None] = mapped_column(Date)
    consultation_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    consultation_concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)


class ReportSlip(Base):
    """One routing slip (分办单): the handling office it names and when, and when its matter was
    decided (the matter's date, kept here so an office's backlog is counted from one table)."""

    __tablename__ = "report_slips"
    __table_args__ = (
        # Covering: an office's routed, decided and open slips are counted from the index alone.
        Index("ix_report_slips_routed", "tenant", "routed_on", "decided_on", "handler"),
        Index("ix_report_slips_decided", "tenant", "decided_on", "handler"),
    )

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, index=True)
    number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    handler: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    fixed_by: Mapped[str] = mapped_column(String(40))
    routed_on: Mapped[dt.date] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)


class ReportDecision(Base):
    """One accountability decision (问责决定): an entry of the case library (案例库)."""

    __tablename__ = "report_decisions"
    __table_args__ = (Index("ix_report_decisions_decided", "tenant", "decided_on"),)

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, index=True)
    number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    matter_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    decided_by: Mapped[str] = mapped_column(String(CODE_LENGTH))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    simplified_procedure: Mapped[bool] = mapped_column(Boolean)
    measures: Mapped[list] = mapped_column(default=list)
    citations: Mapped[list] = mapped_column(default=list)


class ReportMeasure(Base):
    """One measure decided for one target of a decision: the unit the reports count."""

    __tablename__ = "report_measures"
    __table_args__ = (Index("ix_report_measures_decided", "tenant", "decided_on"),)

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    decision_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    target_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    target_kind: Mapped[str] = mapped_column(String(20))
    # The cadre level of a person, the organisation level of an organisation, where known.
    level: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    unit: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))


class ReportDeadline(Base):
    """A deadline of sanction-execution: seen coming due, and whether it was missed."""

    __tablename__ = "report_deadlines"
    __table_args__ = (Index("ix_report_deadlines_due", "tenant", "due_on"),)

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    office: Mapped[str] = mapped_column(String(CODE_LENGTH))
    duty: Mapped[str] = mapped_column(String(CODE_LENGTH))
    label: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    due_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    citations: Mapped[list] = mapped_column(default=list)


class ReportExecution(Base):
    """The carrying out of one decided measure for one target."""

    __tablename__ = "report_executions"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    decision_id: Mapped[str] = mapped_column(UUIDStr)
    measure: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    office: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))


class ReportAppeal(Base):
    """An appeal (申诉) against a decision, and how it ended."""

    __tablename__ = "report_appeals"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    decision_id: Mapped[str] = mapped_column(UUIDStr)
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))


class ReportMatterAccess(Base):
    """One fact about a matter that decides who reads it (``wenze.auth.access``): an office party
    to it, or one of its targets' levels or units. One row per fact, so a report filters with
    ``EXISTS`` on an index on both databases."""

    __tablename__ = "report_matter_access"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(TEXT_LENGTH), primary_key=True)


# Emptied by a rebuild, in this order, and filled again from the streams.
PROJECTIONS: Final = (
    ReportMatterAccess,
    ReportAppeal,
    ReportExecution,
    ReportDeadline,
    ReportMeasure,
    ReportDecision,
    ReportSlip,
    ReportMatter,
)
