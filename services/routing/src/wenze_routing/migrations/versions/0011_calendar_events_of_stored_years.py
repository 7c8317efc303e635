"""Tell the calendar stored so far: one event per loaded national year and per tenant's local
days, as routing now publishes whenever one is stored (docs/adr/0031-review-counts-in-routings-calendar.md).

Services that keep their own copy of the calendar start from these, so years loaded before
this revision count in their deadlines too. The events go through the outbox like any other.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from wenze.auth.principal import PLATFORM
from wenze.calendar import LocalDays, YearDefinition
from wenze.db.outbox import OutboxRecord
from wenze.events import Event
from wenze.events.routing import CalendarYearLoaded, LocalDaysDeclared

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _document(value: Any) -> Any:
    # A text query returns JSON as a string on SQLite.
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    bind = op.get_bind()
    events: list[Event] = [
        CalendarYearLoaded(
            tenant=PLATFORM,
            year=row.year,
            definition=YearDefinition.model_validate(_document(row.definition)),
            loaded_by=row.loaded_by,
            loaded_at=row.loaded_at,
        )
        for row in bind.execute(sa.text("SELECT year, definition, loaded_by, loaded_at FROM calendar_national_years"))
    ]
    events += [
        LocalDaysDeclared(
            tenant=row.tenant,
            year=row.year,
            days=LocalDays.model_validate(_document(row.days)),
            declared_by=row.declared_by,
            declared_at=row.declared_at,
        )
        for row in bind.execute(sa.text("SELECT tenant, year, days, declared_by, declared_at FROM calendar_local_days"))
    ]
    if events:
        bind.execute(sa.insert(OutboxRecord), OutboxRecord.rows_for(events))


def downgrade() -> None:
    # Events once told cannot be taken back; the stored years are unchanged.
    pass
