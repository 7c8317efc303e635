"""``Period``, the half-open date range every document, rule, intake source and numbering
pattern is in force over: worked examples, then properties over arbitrary periods."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wenze.rules.period import Period, as_date

JAN_1 = date(2024, 1, 1)
JUL_1 = date(2024, 7, 1)
NEXT_JAN_1 = date(2025, 1, 1)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
sides = st.none() | days
periods = st.builds(Period, sides, sides)
# Start on or after end: the shapes a mis-dated `effective` or a repeal before the start produces.
empty_periods = st.builds(lambda a, b: Period(max(a, b), min(a, b)), days, days)


def test_end_is_the_first_day_not_covered() -> None:
    first_half = Period(JAN_1, JUL_1)
    assert first_half.contains(JAN_1)
    assert first_half.contains(JUL_1 - timedelta(days=1))
    assert not first_half.contains(JUL_1)
    assert not first_half.contains(JAN_1 - timedelta(days=1))


def test_an_open_side_reaches_every_date_on_that_side() -> None:
    assert Period(None, JUL_1).contains(date.min)
    assert Period(JUL_1, None).contains(date.max)
    assert Period().contains(JAN_1)


def test_intersection_keeps_the_later_start_and_the_earlier_end() -> None:
    assert Period(JAN_1, NEXT_JAN_1).intersection(Period(JUL_1, None)) == Period(JUL_1, NEXT_JAN_1)
    assert Period(None, JUL_1).intersection(Period(JAN_1, None)) == Period(JAN_1, JUL_1)
    assert Period().intersection(Period()) == Period()


def test_a_period_ending_where_another_starts_does_not_overlap_it() -> None:
    # A repeal closes the old document the day the new one takes force: no day is under both.
    assert not Period(None, JUL_1).overlaps(Period(JUL_1, None))
    assert Period(None, JUL_1 + timedelta(days=1)).overlaps(Period(JUL_1, None))


@pytest.mark.parametrize(
    ("period", "empty"),
    [
        (Period(JUL_1, JUL_1), True),
        (Period(NEXT_JAN_1, JAN_1), True),
        (Period(JAN_1, JUL_1), False),
        (Period(JUL_1, None), False),
        (Period(None, JUL_1), False),
        (Period(), False),
    ],
)
def test_only_a_period_closed_on_both_sides_can_be_empty(period: Period, empty: bool) -> None:
    assert period.is_empty is empty


def test_text_marks_an_open_side_with_an_ellipsis() -> None:
    assert str(Period(JAN_1, JUL_1)) == "[2024-01-01, 2024-07-01)"
    assert str(Period(None, JUL_1)) == "[…, 2024-07-01)"
    assert str(Period(JAN_1, None)) == "[2024-01-01, …)"


def test_boundaries_are_the_closed_sides() -> None:
    assert Period(JAN_1, JUL_1).boundaries == (JAN_1, JUL_1)
    assert Period(None, JUL_1).boundaries == (JUL_1,)
    assert Period().boundaries == ()


def test_from_iso_reads_the_dates_packs_write() -> None:
    assert Period.from_iso("2024-01-01", None) == Period(JAN_1, None)
    assert Period.from_iso(None, JUL_1) == Period(None, JUL_1)
    with pytest.raises(ValueError):
        Period.from_iso("2024-13-01", None)
    assert as_date(None) is None


def test_periods_are_values() -> None:
    assert Period(JAN_1, JUL_1) == Period(JAN_1, JUL_1)
    assert len({Period(JAN_1, JUL_1), Period(JAN_1, JUL_1)}) == 1
    with pytest.raises(AttributeError):
        Period(JAN_1, JUL_1).start = JUL_1  # type: ignore[misc]


@given(periods, periods)
def test_intersection_is_commutative(a: Period, b: Period) -> None:
    assert a.intersection(b) == b.intersection(a)
    assert a.overlaps(b) == b.overlaps(a)


@given(periods, periods, periods)
def test_intersection_is_associative(a: Period, b: Period, c: Period) -> None:
    assert a.intersection(b).intersection(c) == a.intersection(b.intersection(c))


@given(periods)
def test_the_unbounded_period_is_the_identity_of_intersection(a: Period) -> None:
    assert a.intersection(Period()) == a


@given(periods, periods, days)
def test_intersection_contains_exactly_the_dates_in_both(a: Period, b: Period, day: date) -> None:
    assert a.intersection(b).contains(day) == (a.contains(day) and b.contains(day))


@given(empty_periods, days)
def test_an_empty_period_contains_no_date(a: Period, day: date) -> None:
    assert a.is_empty
    assert not a.contains(day)


@given(empty_periods, periods)
def test_an_empty_period_overlaps_nothing(a: Period, b: Period) -> None:
    assert not a.overlaps(b)
    assert a.intersection(b).is_empty


@given(periods)
def test_a_period_that_is_not_empty_contains_a_date(a: Period) -> None:
    assume(not a.is_empty)
    witness = a.start if a.start is not None else (a.end - timedelta(days=1) if a.end is not None else JAN_1)
    assert a.contains(witness)


@given(periods, periods)
def test_overlapping_periods_share_a_date(a: Period, b: Period) -> None:
    shared = a.intersection(b)
    assert a.overlaps(b) == (not shared.is_empty)
    if a.overlaps(b):
        witness = shared.start if shared.start is not None else (shared.end or NEXT_JAN_1) - timedelta(days=1)
        assert a.contains(witness) and b.contains(witness)
