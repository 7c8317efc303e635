from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_review.errors import WrongState


class DeliberationState(StrEnum):
    SIGNING = "signing"
    APPROVING = "approving"
    ESCALATED = "escalated"
    DEADLOCKED = "deadlocked"
    CONCLUDED = "concluded"
    SUPERSEDED = "superseded"
    """An override fixed the routing slip's handler: the consultation decides nothing more."""


DELIBERATIONS = StateMachine[DeliberationState](
    "deliberation",
    DeliberationState,
    {
        # Unanimous, and the pack names leaders who approve the agreed opinion.
        "await_approval": (DeliberationState.SIGNING, DeliberationState.APPROVING),
        # Divided: the pack's escalation chain decides, level by level.
        "escalate": (DeliberationState.SIGNING, DeliberationState.ESCALATED),
        "refer_to_next_level": (DeliberationState.ESCALATED, DeliberationState.ESCALATED),
        # Divided, and the pack names nobody to settle it: it stays visible as such.
        "deadlock": (DeliberationState.SIGNING, DeliberationState.DEADLOCKED),
        "conclude": (
            [DeliberationState.SIGNING, DeliberationState.APPROVING, DeliberationState.ESCALATED],
            DeliberationState.CONCLUDED,
        ),
        # A consultation whose slip was overridden, whatever it had reached (a conclusion
        # routing had not yet taken included): its outcome no longer decides the handler.
        "supersede": (
            [
                DeliberationState.SIGNING,
                DeliberationState.APPROVING,
                DeliberationState.ESCALATED,
                DeliberationState.DEADLOCKED,
                DeliberationState.CONCLUDED,
            ],
            DeliberationState.SUPERSEDED,
        ),
    },
    refusal=WrongState,
)


class Deliberation(Base):
    """A consultation (会商, kind ``consultation``) or a joint review (会审, kind ``joint_review``).

    Both run the same way: every participant office signs an opinion; a unanimous round goes
    to the approving leaders, a divided one up the pack's escalation chain.
    """

    __tablename__ = "deliberations"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(80))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    slip_id: Mapped[str] = mapped_column(UUIDStr)
    case_id: Mapped[str | None] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text)
    relevant_date: Mapped[dt.date] = mapped_column(Date)
    targets: Mapped[list] = mapped_column(default=list)
    lead: Mapped[str | None] = mapped_column(String(80))
    participants: Mapped[list] = mapped_column(default=list)
    proposed_handler: Mapped[str | None] = mapped_column(String(80))
    handler_candidates: Mapped[list] = mapped_column(default=list)
    approved_by: Mapped[list] = mapped_column(default=list)
    escalation: Mapped[list] = mapped_column(default=list)
    level: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    handler: Mapped[str | None] = mapped_column(String(80))
    decided_at_level: Mapped[str | None] = mapped_column(String(80))
    citations: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    concluded_at: Mapped[dt.datetime | None] = mapped_column()

    signatures: Mapped[list[Signature]] = relationship(
        order_by="Signature.signed_at", lazy="selectin", cascade="all, delete-orphan"
    )
    levels: Mapped[list[EscalationRecord]] = relationship(
        order_by="EscalationRecord.level", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("tenant", "kind", "slip_id", "case_id", name="uq_deliberations_subject"),
        # A consultation has no case, and NULLs are distinct in a UNIQUE constraint: the one above
        # holds for joint reviews only. One consultation per slip holds through this index.
        Index(
            "uq_deliberations_subject_without_case",
            "tenant",
            "kind",
            "slip_id",
            unique=True,
            postgresql_where=text("case_id IS NULL"),
            sqlite_where=text("case_id IS NULL"),
        ),
        Index("ix_deliberations_tenant_matter", "tenant", "matter_id"),
    )


class Signature(Base):
    __tablename__ = "signatures"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    deliberation_id: Mapped[str] = mapped_column(ForeignKey("deliberations.id", ondelete="CASCADE"), index=True)
    office: Mapped[str] = mapped_column(String(80))
    username: Mapped[str] = mapped_column(UsernameStr)
    opinion: Mapped[str] = mapped_column(String(10))
    handler: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # An office signs once and a person signs once, whatever the race between requests.
        UniqueConstraint("deliberation_id", "office", name="uq_signatures_office"),
        UniqueConstraint("deliberation_id", "username", name="uq_signatures_username"),
    )


class EscalationRecord(Base):
    __tablename__ = "escalation_levels"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    deliberation_id: Mapped[str] = mapped_column(ForeignKey("deliberations.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))
    handler: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("deliberation_id", "level", name="uq_escalation_levels_level"),)


class Approval(Base):
    """A leader's or body's approval of a consultation, joint review, investigation start or decision."""

    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(UUIDStr)
    office: Mapped[str] = mapped_column(String(80))
    username: Mapped[str] = mapped_column(UsernameStr)
    comment: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "office", name="uq_approvals_office"),
        Index("ix_approvals_subject", "subject_id"),
    )
