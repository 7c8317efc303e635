"""Lists filter slips in SQL; the filter must say what the shared rule (``wenze.auth.access.visible``)
says, for any slips and any caller, on both databases the platform runs on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenze.auth.access import MatterAccess, ReadScope, visible
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze_routing.app import MIGRATIONS
from wenze_routing.repositories import RoutingRepositories, make_repositories
from wenze_routing.slips.models import RoutingSlip, SlipState

pytestmark = pytest.mark.integration

OFFICES = [
    "party_conduct_office",
    "case_management_office",
    "discipline_supervision_office",
    "district_town_commission",
]
LEVELS = ["city_managed", "township_section", "not_city_managed", "below_township_section"]
UNITS = ["玉山镇", "张浦镇", "巴城镇", "市教育局"]
INTEGRATORS = ["service-account-wenze-integrator", "service-account-other"]

matters = st.builds(
    MatterAccess.of,
    offices=st.sets(st.sampled_from(OFFICES), max_size=3),
    levels=st.sets(st.sampled_from(LEVELS), max_size=2),
    units=st.sets(st.sampled_from(UNITS), max_size=2),
)
callers = st.one_of(
    st.builds(ReadScope, integrator=st.sampled_from(INTEGRATORS), office=st.none(), oversees=st.just(False)),
    st.builds(
        ReadScope,
        integrator=st.none(),
        office=st.sampled_from(OFFICES),
        oversees=st.booleans(),
        authority=st.frozensets(st.sampled_from(LEVELS)),
        linked_units=st.frozensets(st.sampled_from(UNITS), max_size=2),
    ),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def units_of_work(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> AsyncIterator[UnitOfWorkFactory[RoutingRepositories]]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path_factory.mktemp('visibility') / 'routing.db'}", "routing"
    else:
        url, schema = database_url, f"routing_visibility_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, url, schema)
    engine = create_engine(url, schema=schema)
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()


def slip(tenant: str, seq: int) -> RoutingSlip:
    # Who reads it is in its access rows alone; the rest only has to be a valid slip.
    return RoutingSlip(
        tenant=tenant,
        number=f"测〔2026〕{seq}号",
        matter_id=str(uuid.uuid4()),
        matter_number=f"T-2026-{seq:05d}",
        state=SlipState.ROUTED,
        source="other",
        summary="摘要",
        facts="事实",
        relevant_date=dt.date(2026, 4, 30),
        targets=[],
        rule_facts={},
        outcome={},
        explanation=[],
        citations=[],
        opinion="意见",
        cc=[],
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accesses=st.lists(matters, min_size=1, max_size=40), scopes=st.lists(callers, min_size=1, max_size=8))
async def test_the_sql_filter_and_the_rule_agree(
    units_of_work: UnitOfWorkFactory[RoutingRepositories], accesses: list[MatterAccess], scopes: list[ReadScope]
) -> None:
    tenant = f"t{uuid.uuid4().hex[:12]}"  # each example alone in its tenant
    async with units_of_work() as uow:
        slips = [slip(tenant, seq) for seq in range(1, len(accesses) + 1)]
        await uow.repos.slips.add(slips)
        await uow.repos.slips.grant(list(zip(slips, accesses, strict=True)))
        await uow.commit()
        # A single read decides on the rows it loads back, which are the ones granted.
        for row, access in zip(slips, accesses, strict=True):
            assert await uow.repos.slips.access(row) == access
        for scope in scopes:
            listed = await uow.repos.slips.list_slips(tenant, scope, matter_id=None, state=None, limit=500)
            expected = {row.id for row, access in zip(slips, accesses, strict=True) if visible(scope, access)}
            assert {row.id for row in listed} == expected, scope
