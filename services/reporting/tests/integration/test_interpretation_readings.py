"""Kunshan's 五.1 has the monthly figures due "每月28日前"; whether the day moves off a rest day is
interpretation point ``monthly_figures_rest_day`` (default: it does not). Once the tenant's
administrator chooses the next working day from a date, the months after it end on the working
day (November 2026: the Saturday 28th moves to Monday 30th) and the months before keep the 28th;
every report is stamped with the reading in force for its period, and with a change within it.

The choice reaches reporting as routing publishes it (``interpretation.chosen``), delivered
in-process through the method the worker's consumer calls, as the other events are here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.interpretations import InterpretationLearner
from wenze.db.migrations import upgrade
from wenze.db.tenancy import tenant_scope
from wenze.events import InterpretationReadingChosen
from wenze.rules import get_pack
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.repositories import ReportingRepositories, make_repositories
from wenze_reporting.services import Services, build_services
from wenze_reporting.worker import INTERPRETATION_CONSUMER

from .conftest import overseer

pytestmark = pytest.mark.integration

POINT = "monthly_figures_rest_day"
CHOSEN_FROM = dt.date(2026, 10, 15)


@pytest.fixture
async def units(database_url: str) -> AsyncIterator[UnitOfWorkFactory[ReportingRepositories]]:
    schema = f"reporting_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, database_url, schema)
    engine = create_engine(database_url, schema=schema)
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()


def stamped(report) -> list[tuple[str, bool, dt.date]]:
    return [(i.reading, i.default, i.in_force_from) for i in report.stamp.interpretations if i.point == POINT]


async def test_the_chosen_reading_moves_the_cut_off_from_its_date_and_stamps_the_reports(units) -> None:
    services: Services = build_services(units)
    kunshan = overseer("kunshan")
    november_before = await services.reports.monthly(kunshan, 2026, 11)
    assert november_before.stamp.period_end == dt.date(2026, 11, 28), "the pack's default keeps the 28th"
    assert stamped(november_before) == [("fixed_28th", True, dt.date(2026, 10, 29))]

    learner = InterpretationLearner(units, INTERPRETATION_CONSUMER)
    chosen = InterpretationReadingChosen(
        tenant="kunshan",
        point=POINT,
        reading="next_working_day",
        effective_from=CHOSEN_FROM,
        choice_version=1,
        chosen_by="ks-admin",
        reason="委务会研究决定",
    )
    with tenant_scope("kunshan"):
        await learner.learn(chosen)
        await learner.learn(chosen)  # redelivered: kept once
    async with units() as uow:
        assert len(await uow.repos.interpretations.choices("kunshan")) == 1

    march = await services.reports.monthly(kunshan, 2026, 3)
    assert march.stamp.period_end == dt.date(2026, 3, 28), "a month before the choice keeps the Saturday 28th"
    assert stamped(march) == [("fixed_28th", True, dt.date(2026, 3, 1))]

    november = await services.reports.monthly(kunshan, 2026, 11)
    assert (november.stamp.period_start, november.stamp.period_end) == (dt.date(2026, 10, 29), dt.date(2026, 11, 30))
    (applied,) = [i for i in november.stamp.interpretations if i.point == POINT]
    assert (applied.reading, applied.default, applied.label) == (
        "next_working_day",
        False,
        "28日为休息日的，顺延至下一个工作日",
    )
    assert applied.citations == ["昆纪办发〔2019〕19号 五.1"]
    december = await services.reports.monthly(kunshan, 2026, 12)
    assert december.stamp.period_start == dt.date(2026, 12, 1)

    # A period the choice falls within names both readings, each from the day it held.
    october = await services.reports.statistics(kunshan, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert stamped(october) == [("fixed_28th", True, dt.date(2026, 10, 1)), ("next_working_day", False, CHOSEN_FROM)]
    # Every point of the pack is on the stamp, the others read by default.
    points = {i.point for i in october.stamp.interpretations}
    assert points == {p.id for p in get_pack("kunshan").points}
