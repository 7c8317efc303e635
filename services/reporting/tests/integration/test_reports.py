"""The reports against a generated data set of 10,000 matters across the four tenants: every
total equals what the data set submitted and decided, month by month."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.reports.periods import calendar_month
from wenze_reporting.repositories import make_repositories
from wenze_reporting.services import Services, build_services

from .conftest import apply_all, overseer
from .dataset import TENANTS, Truth, generate

pytestmark = pytest.mark.integration

MATTERS = 10_000


def expected_groups(tenant: str, measures: list[str]) -> set[str]:
    from wenze.rules import get_pack

    vocabulary = get_pack(tenant).vocabulary
    groups = set()
    for measure in measures:
        if measure in vocabulary.get("report_sanction_measures", {}):
            groups.add("sanction")
        elif measure in vocabulary.get("report_organisational_measures", {}):
            groups.add("organisational")
        else:
            groups.add("other_accountability")
    return groups


@pytest.fixture(scope="module")
async def loaded(services: Services) -> tuple[Services, Truth]:
    events, truth = generate(MATTERS)
    applied = await apply_all(services, events)
    assert applied == len(events)
    return services, truth


async def test_month_end_totals_equal_what_was_submitted_and_decided(loaded: tuple[Services, Truth]) -> None:
    services, truth = loaded
    seen_matters = 0
    for tenant in TENANTS:
        reader = overseer(tenant)
        for year, month in sorted(truth.months(tenant)):
            report = await services.reports.month_end(reader, year, month)
            totals = report.figures.totals
            expected = {
                key: truth.counts[tenant][key, (year, month)]
                for key in ("received", "accepted", "rejected", "routed", "decided")
            }
            assert {key: getattr(totals, key) for key in expected} == expected, (tenant, year, month)
            decided = [t for t in truth.targets[tenant] if (t[0].year, t[0].month) == (year, month)]
            assert totals.persons == sum(1 for t in decided if t[1] == "person")
            assert totals.organisations == sum(1 for t in decided if t[1] == "organisation")
            assert totals.measures == sum(len(t[3]) for t in decided)
            measures = {c.code: c.count for c in report.figures.by_measure}
            assert measures == {m: n for (m, when), n in truth.measures[tenant].items() if when == (year, month)}
            sources = {c.code: c.count for c in report.figures.by_source}
            assert sources == {s: n for (s, when), n in truth.sources[tenant].items() if when == (year, month)}
            routed = {o.code: o.routed for o in report.figures.by_office if o.routed}
            assert routed == {o: n for (o, when), n in truth.routed_by_office[tenant].items() if when == (year, month)}
            # Labels come from the pack, never the raw code.
            pack_offices = report.stamp.tenant_title and {o.label for o in report.figures.by_office}
            assert all(label not in {o.code for o in report.figures.by_office} for label in pack_offices)
            assert report.stamp.rule_pack_version.startswith("sha256:")
            seen_matters += totals.received
    assert seen_matters == MATTERS


async def test_statistics_count_persons_by_measure_group_and_level(loaded: tuple[Services, Truth]) -> None:
    services, truth = loaded
    start, end = dt.date(2025, 7, 1), dt.date(2026, 6, 30)
    for tenant in TENANTS:
        report = await services.reports.statistics(overseer(tenant), start, end)
        persons = [t for t in truth.targets[tenant] if t[1] == "person"]
        assert report.persons == len(persons)
        assert report.matters == sum(n for (key, _), n in truth.counts[tenant].items() if key == "decided")
        by_group: Counter[str] = Counter()
        for _, _, _, measures in persons:
            by_group.update(expected_groups(tenant, measures))
        assert {c.code: c.count for c in report.persons_by_group if c.count} == dict(by_group)
        by_level = Counter(level for _, _, level, _ in persons)
        assert {f.code: f.persons for f in report.by_level} == dict(by_level)
        assert sum(f.persons for f in report.by_level) == report.persons


async def test_half_year_compares_with_the_previous_and_lists_missed_deadlines(loaded: tuple[Services, Truth]) -> None:
    services, truth = loaded
    for tenant in TENANTS:
        report = await services.reports.half_year(overseer(tenant), 2026, 1)
        current = sum(n for (key, (y, m)), n in truth.counts[tenant].items() if key == "received" and y == 2026)
        previous = sum(n for (key, (y, m)), n in truth.counts[tenant].items() if key == "received" and y == 2025)
        received = next(t for t in report.trend if t.key == "received")
        assert (received.current, received.previous, received.change) == (current, previous, current - previous)
        missed = [m for m in truth.missed[tenant] if dt.date(2026, 1, 1) <= m[0] <= dt.date(2026, 6, 30)]
        assert len(report.overdue_deadlines) == len(missed)
        assert sum(c.count for c in report.overdue_by_office) == len(missed)
        assert all(b.open > 0 for b in report.backlogs)


async def test_monthly_figures_follow_the_packs_cut_off(loaded: tuple[Services, Truth]) -> None:
    services, _ = loaded
    kunshan = await services.reports.monthly(overseer("kunshan"), 2026, 3)
    # 昆纪办发〔2019〕19号 五.1: the month's figures are due by the 28th.
    assert (kunshan.stamp.period_start, kunshan.stamp.period_end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 28))
    assert any("五.1" in c for d in kunshan.stamp.duties for c in d.citations)
    march = calendar_month(2026, 3)
    hubei = await services.reports.monthly(overseer("hubei"), 2026, 3)
    assert (hubei.stamp.period_start, hubei.stamp.period_end) == (march.start, march.end)
    april = await services.reports.monthly(overseer("kunshan"), 2026, 4)
    assert april.stamp.period_start == dt.date(2026, 3, 29)


@pytest.fixture
async def no_matters(database_url: str) -> AsyncIterator[Services]:
    schema = f"reporting_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, database_url, schema)
    engine = create_engine(database_url, schema=schema)
    yield build_services(UnitOfWorkFactory(engine, make_repositories))
    await engine.dispose()


async def test_a_month_without_matters_is_an_empty_valid_report(no_matters: Services) -> None:
    services = no_matters
    report = await services.reports.month_end(overseer("jintan"), 2031, 2)
    assert report.figures.totals.model_dump() == dict.fromkeys(report.figures.totals.model_dump(), 0)
    assert report.figures.by_office == [] and report.figures.by_measure == []
    half = await services.reports.half_year(overseer("zhenxiong"), 2031, 1)
    assert half.backlogs == [] and half.overdue_deadlines == []
    statistics = await services.reports.statistics(overseer("hubei"), dt.date(2031, 1, 1), dt.date(2031, 6, 30))
    assert statistics.persons == 0 and statistics.by_level == []
