"""What the case library page decides itself: the month it shows, the reason a mark needs, and
reporting's refusals in words."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.datastructures import FormData, QueryParams

from wenze.cli.client import ProblemError
from wenze.rules import get_pack
from wenze_console.library.schemas import LibraryQuery, export_format, mark_reason
from wenze_console.library.service import lacks_capability, refusal_words
from wenze_console.refusals import REFUSALS
from wenze_console.reports.schemas import QueryRefused

TODAY = dt.date(2026, 12, 4)


def test_the_page_shows_the_tenants_current_month_unless_another_is_asked_for() -> None:
    assert LibraryQuery.parse(QueryParams(""), TODAY) == LibraryQuery(2026, 12, False)
    asked = LibraryQuery.parse(QueryParams("year=2025&month=3&typical=1"), TODAY)
    assert asked == LibraryQuery(2025, 3, True)
    assert asked.params() == {"year": 2025, "month": 3, "typical": "1"}
    # A form posts the month back the same way.
    assert LibraryQuery.parse(FormData([("year", "2026"), ("month", "11")]), TODAY) == LibraryQuery(2026, 11, False)


@pytest.mark.parametrize(
    ("query", "field"),
    [("month=13", "月份"), ("month=x", "月份"), ("year=1999", "年份"), ("typical=yes", "只看典型案例")],
)
def test_a_parameter_that_does_not_fit_is_named(query: str, field: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        LibraryQuery.parse(QueryParams(query), TODAY)
    assert refused.value.field == field


def test_the_export_is_csv_or_json() -> None:
    assert export_format(QueryParams("")) == "csv"
    assert export_format(QueryParams("format=json")) == "json"
    with pytest.raises(QueryRefused):
        export_format(QueryParams("format=xlsx"))


def test_a_mark_needs_a_reason_reporting_would_take() -> None:
    assert mark_reason(FormData([("reason", "  具有警示意义 ")])) == "具有警示意义"
    for form in (FormData([]), FormData([("reason", "   ")])):
        with pytest.raises(QueryRefused) as refused:
            mark_reason(form)
        assert (refused.value.field, refused.value.reason) == ("理由", "必须填写")
    with pytest.raises(QueryRefused):
        mark_reason(FormData([("reason", "例" * 2001)]))


def problem(status: int, slug: str, detail: str) -> ProblemError:
    return ProblemError(status, {"type": f"https://wenze.example/problems/{slug}", "title": slug, "detail": detail})


def test_reportings_refusals_read_in_words_and_only_a_missing_capability_hides_the_marks() -> None:
    pack = get_pack("kunshan")
    missing = problem(403, "missing-capability", "case_library:curate is required")
    assert refusal_words(missing, pack) == ["您没有标记典型案例的权限（case_library:curate）"]
    assert lacks_capability(missing)
    unknown = problem(404, "case-not-found", "no decided case 1 in this tenant")
    assert refusal_words(unknown, pack) == ["没有这一已决案例，或该案例不在您可查看的范围内"]
    assert not lacks_capability(unknown)
    other = problem(403, "outside-authority", "the matter is outside your authority")
    assert refusal_words(other, pack) == [REFUSALS["outside-authority"]]
    assert not lacks_capability(other)
    withdrawn = problem(409, "case-mark-refused", "the case is not marked typical")
    assert refusal_words(withdrawn, pack) == ["该案例当前没有典型标记，无需撤销。"]
    newer = problem(409, "case-archived", "the case was archived")
    assert refusal_words(newer, pack) == ["the case was archived"]
