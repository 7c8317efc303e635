"""Columns naming who acted hold a Keycloak username of any length Keycloak allows (255).

SQLite does not enforce a VARCHAR's length, so there is nothing to change on it; rebuilding
its tables would only risk their rows (dropping a table there deletes through its foreign
keys' cascades).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (table, column, nullable)
USERNAME_COLUMNS = [
    ("investigations", "completed_by", True),
    ("recommendations", "recorded_by", False),
    ("hearings", "recorded_by", False),
    ("decisions", "recorded_by", False),
    ("tasks", "assignee", True),
    ("tasks", "closed_by", True),
    ("review_timeline", "actor", False),
    ("signatures", "username", False),
    ("escalation_levels", "username", False),
    ("approvals", "username", False),
    ("office_members", "username", False),
]


def upgrade() -> None:
    _resize(sa.String(length=120), sa.String(length=255))


def downgrade() -> None:
    _resize(sa.String(length=255), sa.String(length=120))


def _resize(before: sa.String, after: sa.String) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, nullable in USERNAME_COLUMNS:
        op.alter_column(table, column, type_=after, existing_type=before, existing_nullable=nullable)
