"""Who reads a routing slip: its party offices and its targets' levels and units, one row each,
filled for the slips that exist (docs/access.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wenze.rules import UnknownTenantError, get_pack

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _parties(tenant: str) -> set[str]:
    """The tenant's office and body codes: what its routing outcomes name a party by."""
    try:
        vocabulary = get_pack(tenant).vocabulary
    except UnknownTenantError:
        # A tenant whose pack is gone: its slips keep their handler and copies as parties.
        return set()
    return {code for name in ("offices", "bodies") for code in vocabulary.get(name, {})}


def _named(outcome: Any, parties: set[str]) -> set[str]:
    """As wenze_routing.slips.access.named_in did when this revision was written."""
    if isinstance(outcome, str):
        return {outcome} & parties
    if isinstance(outcome, list):
        return {code for item in outcome for code in _named(item, parties)}
    if isinstance(outcome, dict):
        return _named(outcome.get("actor"), parties) | _named(outcome.get("with"), parties)
    return set()


def upgrade() -> None:
    access = op.create_table(
        "slip_access",
        sa.Column("slip_id", sa.String(length=36), nullable=False),
        sa.Column("facet", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["slip_id"], ["slips.id"], name=op.f("fk_slip_access_slip_id_slips"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slip_id", "facet", "value", name=op.f("pk_slip_access")),
    )
    op.create_index("ix_slip_access_tenant_facet_value", "slip_access", ["tenant", "facet", "value"], unique=False)

    slips = sa.table(
        "slips",
        sa.column("id", sa.String),
        sa.column("tenant", sa.String),
        sa.column("handler", sa.String),
        sa.column("cc", _json()),
        sa.column("outcome", _json()),
        sa.column("targets", _json()),
    )
    timeline = sa.table(
        "slip_timeline", sa.column("slip_id", sa.String), sa.column("action", sa.String), sa.column("detail", _json())
    )
    connection = op.get_bind()
    # The bodies that approved a concluded consultation are parties too.
    approvers: dict[str, list[str]] = {}
    for slip_id, detail in connection.execute(
        sa.select(timeline.c.slip_id, timeline.c.detail).where(timeline.c.action == "routed_by_consultation")
    ).all():
        approvers.setdefault(slip_id, []).extend(_codes((detail or {}).get("approved_by")))
    parties: dict[str, set[str]] = {}
    rows: list[dict[str, str]] = []
    for slip in connection.execute(sa.select(slips)).mappings().all():
        if slip["tenant"] not in parties:
            parties[slip["tenant"]] = _parties(slip["tenant"])
        offices = {slip["handler"], *_codes(slip["cc"]), *approvers.get(slip["id"], [])}
        for value in (slip["outcome"] or {}).values():
            offices |= _named(value, parties[slip["tenant"]])
        targets = slip["targets"] or []
        levels = {t.get(k) for t in targets for k in ("cadre_level", "org_level")}
        units = {t.get("unit") for t in targets}
        for facet, values in (("office", offices), ("level", levels), ("unit", units)):
            rows.extend(
                {"slip_id": slip["id"], "tenant": slip["tenant"], "facet": facet, "value": v} for v in values if v
            )
        if len(rows) >= 5000:
            op.bulk_insert(access, rows)
            rows = []
    if rows:
        op.bulk_insert(access, rows)


def downgrade() -> None:
    op.drop_index("ix_slip_access_tenant_facet_value", table_name="slip_access")
    op.drop_table("slip_access")
