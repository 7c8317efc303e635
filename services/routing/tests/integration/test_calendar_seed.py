"""The operator's read-only seed directory: its national years count until a platform operator
loads the same year, which then wins; a broken seed is the server's fault (503), never a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from wenze.auth import PLATFORM, Principal
from wenze.calendar import YearDefinition, dump_year_definition
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze_routing.app import MIGRATIONS
from wenze_routing.calendar.service import CalendarService, CalendarUnavailable
from wenze_routing.repositories import RoutingRepositories, make_repositories

pytestmark = pytest.mark.integration

OPERATOR = Principal(tenant=PLATFORM, subject="s-ops", username="platform-ops", roles=frozenset({"calendar:admin"}))
SEEDED_2030 = YearDefinition(year=2030, holidays=[{"date": "2030-01-01", "name": "元旦"}])  # type: ignore[list-item]


@pytest.fixture
async def units_of_work(tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory[RoutingRepositories]]:
    url = f"sqlite:///{tmp_path / 'routing.db'}"
    await upgrade(MIGRATIONS, url, "routing")
    engine = create_engine(url, schema="routing")
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    seed = tmp_path / "seed"
    seed.mkdir()
    dump_year_definition(SEEDED_2030, seed / "2030.yaml")
    return seed


async def test_a_seeded_year_counts_until_a_loaded_one_replaces_it(
    units_of_work: UnitOfWorkFactory[RoutingRepositories], seed_dir: Path
) -> None:
    calendars = CalendarService(units_of_work, seed_dir)
    national = await calendars.tenant_calendar("kunshan")
    assert not national.is_working_day(dt.date(2030, 1, 1)) and national.is_working_day(dt.date(2030, 1, 2))
    (seeded,) = (await calendars.years(OPERATOR)).national
    assert (seeded.year, seeded.loaded_by, seeded.loaded_at) == (2030, None, None)

    loaded = YearDefinition(
        year=2030,
        holidays=[{"date": "2030-01-01", "name": "元旦"}, {"date": "2030-01-02", "name": "元旦"}],  # type: ignore[list-item]
    )
    stored = await calendars.load_national(OPERATOR, 2030, loaded)
    assert stored.created is False  # the year was covered already, by the seed
    assert not (await calendars.tenant_calendar("hubei")).is_working_day(dt.date(2030, 1, 2))
    (replaced,) = (await calendars.years(OPERATOR)).national
    assert (replaced.holidays, replaced.loaded_by) == (2, "platform-ops")
    assert [p.name for p in seed_dir.iterdir()] == ["2030.yaml"]  # read, never written


async def test_a_broken_seed_file_is_a_503(
    units_of_work: UnitOfWorkFactory[RoutingRepositories], tmp_path: Path
) -> None:
    broken = tmp_path / "broken-seed"
    broken.mkdir()
    (broken / "2031.yaml").write_text("year: 2031\nholidays: [{date: 2031-02-30, name: 春节}]\n", encoding="utf-8")
    with pytest.raises(CalendarUnavailable) as unavailable:
        await CalendarService(units_of_work, broken).tenant_calendar("kunshan")
    assert unavailable.value.status_code == 503
