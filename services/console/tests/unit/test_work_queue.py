"""我的工作 from review's work queue: each entry as the page shows it, and the page links."""

from __future__ import annotations

import datetime as dt

from wenze_console.work.schemas import WorkQueue
from wenze_console.work.service import WORK_PAGE_SIZE, work_item

TODAY = dt.date(2026, 12, 4)


def queue_entry(**overrides: object) -> dict:
    """An entry as review's GET /v1/work-queue answers it."""
    return {
        "id": "7d1c0f4e-2b8a-4a51-9a43-0c2f4f0b8e11",
        "kind": "consultation_signature",
        "office": "party_conduct_office",
        "capability": "consultation:sign",
        "matter_id": "0b9f7c52-61a4-4f8e-b1f7-3f0d2a6e9c20",
        "case_id": None,
        "subject_id": "5f0e3d1a-8c47-4b2e-9d6a-1e2f3a4b5c6d",
        "target_index": None,
        "citations": ["昆纪办发〔2019〕19号 第五条"],
        "due": "2026-12-06",
        "state": "open",
        "assignee": None,
        "created_at": "2026-12-01T08:00:00Z",
        "matter_number": "KS-2026-00042",
        "summary": "拖延整改",
        "targets": [{"name": "钱国强", "post": "副局长", "unit": "市住建局"}, {"name": None, "unit": "巴城镇"}],
        **overrides,
    }


def test_an_entry_shows_its_matter_targets_and_light() -> None:
    item = work_item(queue_entry(), TODAY)
    assert (item.matter_number, item.summary, item.targets) == ("KS-2026-00042", "拖延整改", "钱国强、巴城镇")
    assert (item.light, item.days_left, item.due) == ("yellow", 2, dt.date(2026, 12, 6))
    assert item.task["citations"] == ["昆纪办发〔2019〕19号 第五条"]

    overdue = work_item(queue_entry(due="2026-12-01"), TODAY)
    assert (overdue.light, overdue.days_left) == ("red", -3)
    undated = work_item(queue_entry(due=None), TODAY)
    assert (undated.light, undated.days_left, undated.due) == ("green", None, None)


def test_an_entry_review_holds_no_subject_for_shows_the_matter_id() -> None:
    item = work_item(queue_entry(matter_number=None, summary=None, targets=[]), TODAY)
    assert (item.matter_number, item.summary, item.targets) == (queue_entry()["matter_id"], "", "尚不明确")


def test_pages_link_back_and_on_while_there_are_more() -> None:
    entries = [work_item(queue_entry(), TODAY)] * WORK_PAGE_SIZE
    first = WorkQueue(entries, total=120, page=1, page_size=WORK_PAGE_SIZE)
    assert (first.first, first.last, first.previous_page, first.next_page) == (1, 50, None, 2)
    last = WorkQueue(entries[:20], total=120, page=3, page_size=WORK_PAGE_SIZE)
    assert (last.first, last.last, last.previous_page, last.next_page) == (101, 120, 2, None)
    only = WorkQueue(entries[:3], total=3)
    assert (only.previous_page, only.next_page) == (None, None)
    exact = WorkQueue(entries, total=100, page=2, page_size=WORK_PAGE_SIZE)
    assert exact.next_page is None
