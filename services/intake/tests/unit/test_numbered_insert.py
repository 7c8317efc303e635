"""The numbering statement and the rows staged for it name every column of their tables."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from wenze.db.audit import AuditEntry
from wenze.db.idempotency import IdempotencyRecord
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRecord
from wenze.persons import DEVELOPMENT_KEY, PersonReferences
from wenze.rules import get_pack
from wenze_intake.matters.batches import Registration
from wenze_intake.matters.models import Attachment, Matter, Target, TimelineEntry
from wenze_intake.matters.numbered_insert import (
    ATTACHMENT_INPUT,
    MATTER_EXTRAS,
    MATTER_INPUT,
    NUMBER_PLACEHOLDER,
    TARGET_INPUT,
    _insert,
    statement,
)
from wenze_intake.matters.schemas import MatterCreate
from wenze_intake.matters.staged_insert import STAGED_MATTER, STAGING_COLUMNS
from wenze_intake.matters.staged_insert import statement as staged_statement
from wenze_intake.matters.writers import CopyRow, PortableMatterWriter, PostgresMatterWriter, SqlRow

ITEM = MatterCreate.model_validate(
    {
        "source": "city_government",
        "source_reference": "昆政办函〔2026〕1号",
        "summary": "城市更新项目推进不力",
        "facts": "审批拖延。",
        "targets": [
            {"kind": "person", "name": "张明", "cadre_level": "city_managed", "party_member": True},
            {"kind": "organisation", "name": "市住房和城乡建设局", "org_level": "department"},
            {"kind": "unknown", "sector": "town"},
        ],
        "attachments": [{"name": "说明.pdf", "size": 3, "media_type": "application/pdf", "sha256": "a" * 64}],
        "duplicate_override": {"reason": "两名干部分别立项"},
    }
)


def columns(model: type) -> set[str]:
    return {c.name for c in model.__table__.columns}


def registration() -> Registration:
    return Registration.now(get_pack("kunshan"), "ks-intake", None, person_refs=PersonReferences(DEVELOPMENT_KEY))


@pytest.mark.parametrize("with_attachments", [False, True])
@pytest.mark.parametrize("with_idempotency", [False, True])
@pytest.mark.parametrize("with_audit", [False, True])
def test_numbering_statement_inserts_every_column_of_its_tables(
    with_attachments: bool, with_idempotency: bool, with_audit: bool
) -> None:
    sql = statement(with_attachments, with_idempotency, with_audit).text
    written = [Matter, Target, TimelineEntry, OutboxRecord, NumberCounter]
    written += [Attachment] if with_attachments else []
    written += [IdempotencyRecord] if with_idempotency else []
    written += [AuditEntry] if with_audit else []
    for model in written:
        table = model.__table__
        # Every column but a key the database generates (the timeline's id).
        names = [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        assert f"INSERT INTO {table.name} " in sql
        inserted = sql.split(f"INSERT INTO {table.name} ", 1)[1]
        listed = inserted[inserted.index("(") + 1 : inserted.index(")")]
        assert [n.strip() for n in listed.split(",")] == names, table.name


def test_an_insert_missing_a_column_of_its_table_is_refused() -> None:
    values = {"matter_id": "n.id", "at": "now()", "actor": "'x'", "action": "'received'", "state": "'received'"}
    with pytest.raises(RuntimeError, match=r"timeline do not match its columns: missing \['detail'\]"):
        _insert(TimelineEntry.__table__, values, "numbered n")


def test_rows_staged_for_the_statement_carry_every_column_it_reads() -> None:
    staged = PostgresMatterWriter().stage(registration(), [(0, ITEM, dt.date(2026, 5, 1))])
    assert staged.number_format is not None
    [row] = staged.rows
    assert isinstance(row, SqlRow)
    row.repeats("0190d3c4-0000-7000-8000-000000000000")
    assert set(row.statement_input) == set(MATTER_INPUT) | set(MATTER_EXTRAS) - {"ord"}
    assert all(set(t) == set(TARGET_INPUT) == columns(Target) for t in row.matter.targets)
    assert all(set(a) == set(ATTACHMENT_INPUT) == columns(Attachment) for a in row.matter.attachments)


def test_rows_staged_for_numbering_in_python_carry_every_column() -> None:
    staged = PortableMatterWriter().stage(registration(), [(0, ITEM, dt.date(2026, 5, 1))])
    [row] = staged.rows
    assert set(row.matter.row) | {"number", "seq"} == columns(Matter)
    assert all(set(t) == columns(Target) for t in row.matter.targets)
    assert all(set(a) == columns(Attachment) for a in row.matter.attachments)


def test_the_staged_import_statement_inserts_every_column_of_its_tables() -> None:
    sql = staged_statement().text
    for model in (Matter, Target, Attachment, TimelineEntry, OutboxRecord, NumberCounter):
        table = model.__table__
        names = [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        inserted = sql.split(f"INSERT INTO {table.name} ", 1)[1]
        listed = inserted[inserted.index("(") + 1 : inserted.index(")")]
        assert [n.strip() for n in listed.split(",")] == names, table.name


def test_import_rows_are_staged_as_records_of_the_staging_table() -> None:
    import_registration = Registration.now(
        get_pack("kunshan"),
        "ks-intake",
        "0190d3c4-0000-7000-8000-00000000000a",
        person_refs=PersonReferences(DEVELOPMENT_KEY),
    )
    staged = PostgresMatterWriter().stage(
        import_registration, [(0, ITEM, dt.date(2026, 5, 1)), (3, ITEM, dt.date(2026, 5, 2))]
    )
    assert staged.number_format is not None
    first, second = staged.rows
    assert isinstance(first, CopyRow) and isinstance(second, CopyRow)
    record = dict(zip(STAGING_COLUMNS, first.record, strict=True))
    # Every matter column but those the statement computes or decides (duplicate_of, by its join).
    assert set(STAGED_MATTER) | {"duplicate_of"} == set(MATTER_INPUT)
    assert record["ord"] == 1 and dict(zip(STAGING_COLUMNS, second.record, strict=True))["ord"] == 2
    assert record["override"] is True and record["relevant_date"] == dt.date(2026, 5, 1)
    assert [set(t) for t in json.loads(record["targets"])] == [columns(Target)] * 3
    assert [set(a) for a in json.loads(record["attachments"])] == [columns(Attachment)]
    assert NUMBER_PLACEHOLDER in record["payload"] and record["event_id"] in record["payload"]
