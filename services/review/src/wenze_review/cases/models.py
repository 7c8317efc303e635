from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_review.errors import WrongState


class CaseState(StrEnum):
    AWAITING_START_APPROVAL = "awaiting_start_approval"
    INVESTIGATING = "investigating"
    RECOMMENDING = "recommending"
    JOINT_REVIEW = "joint_review"
    DECIDING = "deciding"
    DECIDED = "decided"
    RECLASSIFIED = "reclassified"


CASES = StateMachine[CaseState](
    "case",
    CaseState,
    {
        "start_investigation": (CaseState.AWAITING_START_APPROVAL, CaseState.INVESTIGATING),
        "complete_investigation": (CaseState.INVESTIGATING, CaseState.RECOMMENDING),
        "reclassify": (CaseState.INVESTIGATING, CaseState.RECLASSIFIED),
        "open_joint_review": (CaseState.RECOMMENDING, CaseState.JOINT_REVIEW),
        "open_decision": ([CaseState.RECOMMENDING, CaseState.JOINT_REVIEW], CaseState.DECIDING),
        "decide": (CaseState.DECIDING, CaseState.DECIDED),
    },
    refusal=WrongState,
    # An override of the slip hands an open case to another office; the case goes on where it was.
    stays={
        "reassign": [
            CaseState.AWAITING_START_APPROVAL,
            CaseState.INVESTIGATING,
            CaseState.RECOMMENDING,
            CaseState.JOINT_REVIEW,
            CaseState.DECIDING,
        ]
    },
)

# Hearings move nothing: they are recorded from the recommendations until the decision.
HEARING_STATES = frozenset({CaseState.RECOMMENDING, CaseState.JOINT_REVIEW, CaseState.DECIDING})
# Nothing more happens in a case in these states.
CLOSED_STATES = frozenset({CaseState.DECIDED, CaseState.RECLASSIFIED})


class InvestigationState(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    COMPLETED = "completed"


INVESTIGATIONS = StateMachine[InvestigationState](
    "investigation",
    InvestigationState,
    {
        "open": (InvestigationState.PENDING, InvestigationState.OPEN),
        "complete": (InvestigationState.OPEN, InvestigationState.COMPLETED),
    },
    refusal=WrongState,
    # The override that hands the case to another office hands it the investigation still to do.
    stays={"reassign": [InvestigationState.PENDING, InvestigationState.OPEN]},
)


class Case(Base):
    """The review of one routing slip: investigation, recommendations, hearings and decision."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    slip_id: Mapped[str] = mapped_column(UUIDStr)
    slip_number: Mapped[str] = mapped_column(String(80))
    # The revision of the slip's routing the case follows: an older routing delivered late
    # changes nothing. None on cases opened from events without one.
    slip_revision: Mapped[int | None] = mapped_column(Integer)
    matter_number: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text)
    relevant_date: Mapped[dt.date] = mapped_column(Date)
    targets: Mapped[list] = mapped_column(default=list)
    # The pack's procedure whose workflow's decisions drive the case; none on cases opened
    # before packs bound several (they follow the pack's first workflow).
    procedure: Mapped[str | None] = mapped_column(String(60))
    handler: Mapped[str | None] = mapped_column(String(80))
    cc: Mapped[list] = mapped_column(default=list)
    investigated_by: Mapped[str | None] = mapped_column(String(80))
    investigated_with: Mapped[list] = mapped_column(default=list)
    reclassify_after_investigation: Mapped[bool] = mapped_column(Boolean)
    joint_review_required: Mapped[bool] = mapped_column(Boolean)
    start_approved_by: Mapped[list] = mapped_column(default=list)
    decided_by: Mapped[list] = mapped_column(default=list)
    fixed_by: Mapped[str] = mapped_column(String(40))
    # The facts routing gave the rules and their outcome: later steps start from the same.
    routing_facts: Mapped[dict] = mapped_column(default=dict)
    routing_outcome: Mapped[dict] = mapped_column(default=dict)
    citations: Mapped[list] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(30))
    # The decision step's answer once the recommendations are in: who decides, who approves,
    # whether a hearing is required, and the articles saying so.
    requirements: Mapped[dict | None] = mapped_column()
    joint_review_id: Mapped[str | None] = mapped_column(UUIDStr)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant", "slip_id", name="uq_cases_tenant_slip"),
        Index("ix_cases_tenant_matter", "tenant", "matter_id"),
    )


class Investigation(Base):
    __tablename__ = "investigations"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    office: Mapped[str | None] = mapped_column(String(80))
    joined_by: Mapped[list] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20))
    findings: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(default=list)
    identified_targets: Mapped[list] = mapped_column(default=list)
    completed_by: Mapped[str | None] = mapped_column(UsernameStr)
    completed_at: Mapped[dt.datetime | None] = mapped_column()


class Recommendation(Base):
    """The preliminary recommendation (初步问责建议) for one target, with the rules' judgement."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target_index: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict] = mapped_column()
    outcome: Mapped[dict] = mapped_column()
    explanation: Mapped[list] = mapped_column()
    factors: Mapped[dict | None] = mapped_column()
    citations: Mapped[list] = mapped_column(default=list)
    recorded_by: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("case_id", "target_index", name="uq_recommendations_target"),)


class Hearing(Base):
    """A hearing of the target's statement and defence (陈述、申辩)."""

    __tablename__ = "hearings"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target_index: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[dt.date] = mapped_column(Date)
    arguments: Mapped[list] = mapped_column(default=list)
    recorded_by: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    number: Mapped[str] = mapped_column(String(80))
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    announced_on: Mapped[dt.date | None] = mapped_column(Date)
    simplified: Mapped[bool] = mapped_column(Boolean)
    facts_clear: Mapped[bool] = mapped_column(Boolean)
    major_case: Mapped[bool] = mapped_column(Boolean, default=False)
    measures: Mapped[list] = mapped_column()
    citations: Mapped[list] = mapped_column(default=list)
    recorded_by: Mapped[str] = mapped_column(UsernameStr)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant", "number", name="uq_decisions_tenant_number"),)


class DecidedPerson(Base):
    """Who a decision held accountable: the platform's record of earlier accountability. A person
    is known by the reference intake derived from their identity number where the target has
    one, otherwise by name and unit (ADR 0044).

    A decision revoked on appeal for the person (sanction-execution's ``appeal.decided``) stays
    recorded with the day of revocation and no longer counts as an earlier accountability.
    """

    __tablename__ = "decided_persons"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    decision_number: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(200))
    person_ref: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_decided_persons_person", "tenant", "name", "unit"),
        Index("ix_decided_persons_reference", "tenant", "person_ref"),
    )
