"""The SQL that filters lists (``visible_to``) says what ``wenze.auth.access.visible`` says, on
generated matters and callers, on both databases intake runs on.

Each example writes a few dozen matters (random submitters and their offices, targets of
random levels and units, offices, levels and units learned from other services) under a
tenant of its own, then asks, for random callers, which of them a list shows, page by page,
and compares with the rule applied to each matter's ``MatterAccess`` as the repository
builds it and as the generated data says it is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenze.auth.access import MatterAccess, read_scope, visible
from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_OVERSEE, MATTER_READ
from wenze.auth.principal import Principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze_devtools.testing.infra import fresh_database
from wenze_intake.app import MIGRATIONS
from wenze_intake.matters.models import AccessFactKind
from wenze_intake.matters.repository import encode_cursor
from wenze_intake.matters.schemas import MatterFilters
from wenze_intake.repositories import IntakeUnitOfWorkFactory, make_repositories

pytestmark = pytest.mark.integration

OFFICES = ["party_conduct_office", "case_management_office", "district_town_commission", "dispatched_organ"]
LEVELS = ["city_managed", "not_city_managed", "township_section", "below_township_section"]
UNITS = ["玉山镇", "巴城镇", "张浦镇", "市教育局"]
USERS = ["ks-intake", "ks-town-bacheng", "service-account-wenze-integrator", "service-account-petitions"]
PAGE = 7


@dataclass(frozen=True)
class Place:
    url: str
    schema: str


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def place(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('visibility') / 'intake.db'}"
        asyncio.run(upgrade(MIGRATIONS, url, "intake"))
        yield Place(url, "intake")
    else:
        with fresh_database() as url:
            asyncio.run(upgrade(MIGRATIONS, url, "intake"))
            yield Place(url, "intake")


# Empty strings and NULLs stand for what is not known; the rule drops them.
unknown = st.sampled_from([None, ""])
level = st.one_of(st.sampled_from(LEVELS), unknown)
unit = st.one_of(st.sampled_from(UNITS), unknown)
target = st.fixed_dictionaries({"cadre_level": level, "org_level": level, "unit": unit})
matter = st.fixed_dictionaries(
    {
        "submitted_by": st.sampled_from(USERS),
        "submitter_office": st.one_of(st.none(), st.sampled_from(OFFICES)),
        "targets": st.lists(target, max_size=3),
        "offices": st.lists(st.sampled_from(OFFICES), max_size=2, unique=True),
        "levels": st.lists(st.sampled_from(LEVELS), max_size=1, unique=True),
        "units": st.lists(st.sampled_from(UNITS), max_size=2, unique=True),
        # A few matters share a second, so the cursor's tie-break on the id is exercised.
        "second": st.integers(min_value=0, max_value=20),
    }
)


@st.composite
def callers(draw: st.DrawFn) -> Principal:
    office = draw(st.one_of(st.none(), st.sampled_from(OFFICES)))
    roles = {MATTER_READ, *draw(st.sets(st.sampled_from([MATTER_OVERSEE, MATTER_ACCEPT])))}
    return Principal(
        tenant="generated",
        subject="s",
        username=draw(st.sampled_from(USERS)),
        roles=frozenset(roles),
        office=office,
        cadre_authority=frozenset(draw(st.sets(st.sampled_from([*LEVELS, ""])))),
        linked_units=tuple(draw(st.lists(st.sampled_from([*UNITS, ""]), max_size=3, unique=True))),
    )


def expected_access(data: dict) -> MatterAccess:
    targets = data["targets"]
    return MatterAccess.of(
        offices=[data["submitter_office"], *data["offices"]],
        levels=[*(t["cadre_level"] for t in targets), *(t["org_level"] for t in targets), *data["levels"]],
        units=[*(t["unit"] for t in targets), *data["units"]],
        submitted_by=data["submitted_by"],
    )


async def write(uow: IntakeUnitOfWorkFactory, tenant: str, matters: list[dict]) -> dict[str, dict]:
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    rows, targets, facts, by_id = [], [], [], {}
    for seq, data in enumerate(matters, start=1):
        matter_id = str(uuid.uuid4())
        by_id[matter_id] = data
        rows.append(
            {
                "id": matter_id,
                "tenant": tenant,
                "number": f"G-{seq}",
                "year": 2026,
                "seq": seq,
                "state": "received",
                "source": "other",
                "source_reference": None,
                "summary": "生成的事项",
                "facts": "生成的事实",
                "proposed_form": None,
                "key_supervised": False,
                "relevant_date": dt.date(2026, 5, 1),
                "received_at": start + dt.timedelta(seconds=data["second"]),
                "submitted_by": data["submitted_by"],
                "submitter_office": data["submitter_office"],
                "duplicate_of": None,
                "duplicate_override_reason": None,
                "acceptance": None,
                "import_job_id": None,
                "search_text": "生成的事项",
            }
        )
        for position, t in enumerate(data["targets"]):
            targets.append(
                {
                    "id": str(uuid.uuid4()),
                    "matter_id": matter_id,
                    "position": position,
                    "kind": "person",
                    "name": None,
                    "post": None,
                    "sector": None,
                    "party_member": None,
                    **t,
                }
            )
        for kind, values in (
            (AccessFactKind.OFFICE, data["offices"]),
            (AccessFactKind.LEVEL, data["levels"]),
            (AccessFactKind.UNIT, data["units"]),
        ):
            facts += [{"tenant": tenant, "matter_id": matter_id, "kind": kind.value, "value": v} for v in values]
    async with uow() as unit:
        await unit.repos.matters.add_bulk(rows, targets, [], [])
        await unit.repos.matters.learn(facts)
        await unit.commit()
    return by_id


async def listed(uow: IntakeUnitOfWorkFactory, tenant: str, caller: Principal) -> list[str]:
    """Every matter a list shows ``caller``, following the cursor page by page."""
    scope, cursor, seen = read_scope(caller), None, []
    async with uow() as unit:
        while True:
            page = await unit.repos.matters.list_matters(tenant, scope, MatterFilters(), cursor, PAGE + 1, zone=dt.UTC)
            seen += [m.id for m in page[:PAGE]]
            if len(page) <= PAGE:
                return seen
            cursor = encode_cursor(page[PAGE - 1])


async def check(place: Place, matters: list[dict], principals: list[Principal]) -> None:
    engine = create_engine(place.url, schema=place.schema)
    uow: IntakeUnitOfWorkFactory = UnitOfWorkFactory(engine, make_repositories)
    try:
        tenant = f"g{uuid.uuid4().hex[:12]}"
        by_id = await write(uow, tenant, matters)
        async with uow() as unit:
            stored = {m: await unit.repos.matters.get(tenant, m) for m in by_id}
            access = {m: await unit.repos.matters.access_of(row) for m, row in stored.items() if row is not None}
        assert access == {m: expected_access(data) for m, data in by_id.items()}
        for principal in principals:
            scope = read_scope(principal)
            rule = {m for m, a in access.items() if visible(scope, a)}
            shown = await listed(uow, tenant, principal)
            assert len(shown) == len(set(shown)), "a matter was listed twice across pages"
            assert set(shown) == rule, (principal, set(shown) ^ rule)
            async with uow() as unit:
                assert await unit.repos.matters.visible_ids(tenant, scope, by_id) == rule
    finally:
        await engine.dispose()


@given(matters=st.lists(matter, min_size=20, max_size=40), principals=st.lists(callers(), min_size=8, max_size=12))
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_lists_show_exactly_the_matters_the_read_rule_allows(
    place: Place, matters: list[dict], principals: list[Principal]
) -> None:
    asyncio.run(check(place, matters, principals))
