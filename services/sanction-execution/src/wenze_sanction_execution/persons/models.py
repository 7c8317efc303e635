"""The persons (and organisations) decisions concern, and their after-effect periods (影响期)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.ids import new_id
from wenze_sanction_execution.errors import ExecutionStateConflict


class Purpose(StrEnum):
    """What an after-effect bars: the ``for`` of an eligibility question."""

    PROMOTION = "promotion"
    APPOINTMENT = "appointment"
    HONOURS = "honours"


class IdentifiedBy(StrEnum):
    """How a person row was told apart from everyone else (ADR 0044)."""

    PERSON_REF = "person_ref"
    """By the reference intake derived from the identity number: one row per person, whatever
    unit or post later decisions name."""
    NAME_AND_UNIT = "name_and_unit"
    """No identity number was given: by kind, name and unit as the decision names them, so
    namesakes of one unit are one row and a move of unit starts another."""


class Person(Base):
    """A target of decisions: known by their reference where intake derived one, otherwise by
    kind, name and unit as the decisions name it."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200))
    post: Mapped[str | None] = mapped_column(String(200))
    cadre_level: Mapped[str | None] = mapped_column(String(60))
    person_ref: Mapped[str | None] = mapped_column(String(64))
    identified_by: Mapped[str] = mapped_column(String(20), default=IdentifiedBy.NAME_AND_UNIT)
    # The decision date the name, unit, post and level are as of: a decision older than the one
    # that set them (a redelivery, a late event) does not move a person back.
    current_as_of: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(
            "uq_persons_identity",
            "tenant",
            "kind",
            "name",
            "unit",
            unique=True,
            postgresql_where=text("person_ref IS NULL"),
            sqlite_where=text("person_ref IS NULL"),
        ),
        Index(
            "uq_persons_reference",
            "tenant",
            "person_ref",
            unique=True,
            postgresql_where=text("person_ref IS NOT NULL"),
            sqlite_where=text("person_ref IS NOT NULL"),
        ),
    )


class EffectState(StrEnum):
    ACTIVE = "active"
    LIFTED = "lifted"
    """The appeal revoked or varied the decision that set it."""


EFFECTS = StateMachine[EffectState](
    "after-effect",
    EffectState,
    {"lift": (EffectState.ACTIVE, EffectState.LIFTED)},
    refusal=ExecutionStateConflict,
)


class AfterEffect(Base):
    """One bar a decision set for a person, until a day (exclusive) or for a period another
    regulation sets (``until`` empty, ``period_set_by`` naming it)."""

    __tablename__ = "after_effects"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(UUIDStr)
    decision_id: Mapped[str] = mapped_column(UUIDStr)
    decision_number: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    period_set_by: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(default=list)
    # The interpretation points the period depended on and the reading each was read under.
    interpretations: Mapped[list] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_after_effects_tenant_person", "tenant", "person_id", "purpose"),)
