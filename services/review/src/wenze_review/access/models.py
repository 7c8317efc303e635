"""What review knows of each matter that decides who reads it (``wenze.auth.access``)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr

# The three kinds of fact the read rule compares.
OFFICE: Final = "office"
LEVEL: Final = "level"
UNIT: Final = "unit"
FACETS: Final = (OFFICE, LEVEL, UNIT)

# As long as a target's unit may be at intake (its ShortText).
FACT_VALUE_LENGTH: Final = 500


class MatterAccessFact(Base):
    """One fact about a matter: an office party to it (named by routing, a consultation, a joint
    review or the decision step), or one of its targets' cadre or organisation levels or units.

    One row per fact, so that lists filter with ``EXISTS`` on an index on both databases rather
    than by looking inside JSON; rows are only ever added (a matter's parties and targets grow
    as its slips reach review)."""

    __tablename__ = "matter_access"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(FACT_VALUE_LENGTH), primary_key=True)
