"""What intake counts of the decisions review makes, and the triggers that fired on the counts.

``counted_decisions`` holds one row per target of a decision that names an organisation:
the party sanction decided, whether the target sits on the organisation's leading group,
whether the decision disposes of a major case. Its key is the decision and the target's
position, so a redelivered ``decision.made`` counts nothing twice.

``trigger_firings`` holds one row per organisation, decision of the pack, counting window and
trigger that held, with the matter opened for it: its key is what makes a trigger fire once
per organisation and window, whatever is redelivered or restarted (ADR 0024).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, utcnow

# The longest organisation name counted: as long as a target's unit may be written elsewhere.
ORGANISATION_LENGTH = 500


class CountedDecision(Base):
    __tablename__ = "counted_decisions"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    decision_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    target_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_number: Mapped[str] = mapped_column(String(80))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(80))
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_LENGTH))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    party_sanction: Mapped[str | None] = mapped_column(String(60))
    leading_group_member: Mapped[bool] = mapped_column(Boolean, default=False)
    major_case: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_counted_decisions_organisation", "tenant", "organisation", "decided_on"),)


class TriggerFiring(Base):
    __tablename__ = "trigger_firings"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_LENGTH), primary_key=True)
    # The pack's decision that was evaluated, and the trigger code it answered.
    decision: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_end: Mapped[dt.date] = mapped_column(Date)
    # The date of the decision that made it fire: a window holding it has had its matter, so
    # a rolling window, which starts anew with every decision, does not open it again.
    fired_on: Mapped[dt.date] = mapped_column(Date)
    matter_id: Mapped[str] = mapped_column(UUIDStr, index=True)
    # The decisions counted when it fired: decision and matter, id and number.
    counted: Mapped[list] = mapped_column()
    citations: Mapped[list] = mapped_column()
    fired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_trigger_firings_fired_on", "tenant", "organisation", "decision", "fired_on"),)
