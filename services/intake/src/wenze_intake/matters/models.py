from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_intake.errors import NotAwaitingAcceptance

# The numbering kind of intake's registration numbers, in the rule packs and in number_counters.
MATTER_NUMBERING = "matter"


class MatterState(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    TRANSFERRED = "transferred"


# Acceptance (受理) decides a received matter once: accepted, not accepted or transferred.
MATTER_STATES = StateMachine[MatterState](
    "matter",
    MatterState,
    {
        "accept": (MatterState.RECEIVED, MatterState.ACCEPTED),
        "reject": (MatterState.RECEIVED, MatterState.NOT_ACCEPTED),
        "transfer": (MatterState.RECEIVED, MatterState.TRANSFERRED),
    },
    refusal=NotAwaitingAcceptance,
)


class Matter(Base):
    __tablename__ = "matters"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(80))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(60))
    source_reference: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text)
    proposed_form: Mapped[str | None] = mapped_column(String(40))
    key_supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    relevant_date: Mapped[dt.date] = mapped_column(Date)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str] = mapped_column(UsernameStr)
    # The office the submitter acted for, which is party to the matter from then on; NULL for
    # an integrator's service account (it acts for a system) and for matters registered
    # before offices were recorded.
    submitter_office: Mapped[str | None] = mapped_column(String(100))
    duplicate_of: Mapped[str | None] = mapped_column(UUIDStr)
    duplicate_override_reason: Mapped[str | None] = mapped_column(Text)
    acceptance: Mapped[dict | None] = mapped_column()
    import_job_id: Mapped[str | None] = mapped_column(UUIDStr)
    # Summary, facts and target names in one column, so one substring search covers all.
    search_text: Mapped[str] = mapped_column(Text)

    targets: Mapped[list[Target]] = relationship(
        back_populates="matter", order_by="Target.position", lazy="selectin", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="matter", order_by="Attachment.position", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("tenant", "number", name="uq_matters_tenant_number"),
        Index("ix_matters_tenant_source_ref", "tenant", "source", "source_reference"),
        Index("ix_matters_tenant_received", "tenant", "received_at", "id"),
        Index("ix_matters_tenant_state", "tenant", "state"),
        # A whole import accepted in chunks walks its matters in numbering order.
        Index("ix_matters_import_job", "import_job_id", "year", "seq"),
    )


class Target(Base):
    __tablename__ = "targets"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    matter_id: Mapped[str] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))
    post: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(200))
    cadre_level: Mapped[str | None] = mapped_column(String(60))
    sector: Mapped[str | None] = mapped_column(String(60))
    party_member: Mapped[bool | None] = mapped_column(Boolean)
    org_level: Mapped[str | None] = mapped_column(String(60))
    # Where the targets of one matter call for different forms; otherwise the matter's applies.
    proposed_form: Mapped[str | None] = mapped_column(String(40))
    # The person's reference derived from the identity number submitted (which is not kept).
    person_ref: Mapped[str | None] = mapped_column(String(64))

    matter: Mapped[Matter] = relationship(back_populates="targets")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    matter_id: Mapped[str] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(127))
    sha256: Mapped[str] = mapped_column(String(64))

    matter: Mapped[Matter] = relationship(back_populates="attachments")


# The longest value of an access fact: as long as a target's unit may be written.
FACT_VALUE_LENGTH = 500


class AccessFactKind(StrEnum):
    OFFICE = "office"
    LEVEL = "level"
    UNIT = "unit"


class MatterAccessFact(Base):
    """What intake learned of a matter from the services after it, that decides who reads it.

    ``office``: an office or body routing or review named on the matter (handler, copy
    recipient, investigator, consultation participant, approver, decider), which makes it
    party to the matter. ``level`` and ``unit``: a target's cadre or organisation level and
    unit as routing classified it, which may be more than intake was told (an investigation
    identifies the targets of a matter submitted without them). Rows are only ever added:
    being named once is enough to read the matter (``wenze.auth.access``).
    """

    __tablename__ = "matter_access_facts"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(FACT_VALUE_LENGTH), primary_key=True)


class TimelineEntry(Base):
    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    matter_id: Mapped[str] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(UsernameStr)
    action: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(default=dict)
