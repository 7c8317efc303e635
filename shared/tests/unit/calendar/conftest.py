from __future__ import annotations

from pathlib import Path

import pytest

from wenze.calendar import WorkingCalendar, YearDefinition, load_year_definition

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def test_year_2027() -> YearDefinition:
    """Invented, test-only definition of 2027 (see the fixture file's header)."""
    return load_year_definition(FIXTURES / "test-only-2027.yaml")


@pytest.fixture(scope="session")
def library_calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture(scope="session")
def calendar_with_2027(test_year_2027: YearDefinition) -> WorkingCalendar:
    return WorkingCalendar([test_year_2027])
