"""Tasks whose closing is told by their state, ``closed_at`` and ``closed_by`` (set for all the
tasks a step closes by one update) rather than by an entry of their history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
CLOSING_ACTIONS = ("done", "cancelled")


def upgrade() -> None:
    # The read model adds the closing entry from the task's columns; drop the stored ones.
    tasks = sa.table(
        "tasks", sa.column("id", sa.String(36)), sa.column("state", sa.String(10)), sa.column("history", JSON)
    )
    connection = op.get_bind()
    closed = connection.execute(sa.select(tasks.c.id, tasks.c.history).where(tasks.c.state != "open")).all()
    for task_id, history in closed:
        kept = [entry for entry in history if entry.get("action") not in CLOSING_ACTIONS]
        if kept != history:
            connection.execute(sa.update(tasks).where(tasks.c.id == task_id).values(history=kept))


def downgrade() -> None:
    # The closing entries are not written back: the task's columns still say how it closed.
    pass
