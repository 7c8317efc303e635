"""The lists' SQL filter says what ``wenze.auth.access.visible`` says, on PostgreSQL: generated
matters (offices party to them, their targets' levels and units) and generated callers
(integrators, offices overseeing or linked to units, with some authority), compared case by
case and task by task, with the limit applied after the filter."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenze.auth.access import MatterAccess, ReadScope, visible
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze_review.app import MIGRATIONS
from wenze_review.cases.models import Case, CaseState
from wenze_review.repositories import ReviewRepositories, make_repositories
from wenze_review.work.models import Task, TaskState

pytestmark = pytest.mark.integration

OFFICES = ["party_conduct_office", "discipline_supervision_office", "district_town_commission", "case_trial_office"]
LEVELS = ["city_managed", "not_city_managed", "township_section", "below_township_section"]
UNITS = ["巴城镇", "张浦镇", "玉山镇", "市教育局"]
OPENED = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Matter:
    access: MatterAccess
    # The office whose queue holds the matter's one task.
    task_office: str


def subset(values: list[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), max_size=len(values))


matters = st.builds(
    lambda offices, levels, units, task_office: Matter(
        MatterAccess(offices=offices | {task_office}, levels=levels, units=units), task_office
    ),
    subset(OFFICES),
    subset(LEVELS),
    subset(UNITS),
    st.sampled_from(OFFICES),
)
offices_scopes = st.builds(
    lambda office, oversees, authority, linked: ReadScope(None, office, oversees, authority, linked),
    st.sampled_from([*OFFICES, "review_investigation_office"]),
    st.booleans(),
    subset(LEVELS),
    subset(UNITS),
)
scopes = st.one_of(st.builds(lambda: ReadScope("service-account-wenze-integrator", None, False)), offices_scopes)


@pytest.fixture(scope="module")
async def units_of_work(database_url: str) -> AsyncIterator[UnitOfWorkFactory[ReviewRepositories]]:
    schema = f"review_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, database_url, schema)
    engine = create_engine(database_url, schema=schema)
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()


async def store(
    units_of_work: UnitOfWorkFactory[ReviewRepositories], tenant: str, generated: list[Matter]
) -> list[str]:
    """A case and a task per matter, and the matter's facts as review notes them; the matter ids in case order."""
    ids = [str(uuid.uuid4()) for _ in generated]
    async with units_of_work() as uow:
        for index, (matter_id, matter) in enumerate(zip(ids, generated, strict=True)):
            targets = [{"cadre_level": level} for level in matter.access.levels]
            targets += [{"unit": unit} for unit in matter.access.units]
            await uow.repos.access.note(tenant, matter_id, offices=matter.access.offices, targets=targets)
            case = Case(
                tenant=tenant,
                matter_id=matter_id,
                slip_id=str(uuid.uuid4()),
                slip_number=f"S-{index}",
                matter_number=f"M-{index}",
                summary="生成",
                relevant_date=OPENED.date(),
                targets=targets,
                cc=[],
                investigated_with=[],
                reclassify_after_investigation=False,
                joint_review_required=False,
                start_approved_by=[],
                decided_by=[],
                fixed_by="rules",
                state=CaseState.INVESTIGATING,
                created_at=OPENED + dt.timedelta(minutes=index),
            )
            await uow.repos.cases.add(case)
            uow.session.add(
                Task(
                    tenant=tenant,
                    kind="investigation",
                    office=matter.task_office,
                    capability="matter:read",
                    matter_id=matter_id,
                    case_id=case.id,
                    subject_id=case.id,
                    state=TaskState.OPEN,
                    created_at=OPENED + dt.timedelta(minutes=index),
                    history=[],
                )
            )
        await uow.commit()
    return ids


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    generated=st.lists(matters, min_size=20, max_size=40),
    callers=st.lists(scopes, min_size=8, max_size=16),
    limit=st.integers(min_value=1, max_value=50),
)
async def test_the_lists_filter_is_the_read_rule(
    units_of_work: UnitOfWorkFactory[ReviewRepositories], generated: list[Matter], callers: list[ReadScope], limit: int
) -> None:
    tenant = f"gen{uuid.uuid4().hex[:12]}"
    ids = await store(units_of_work, tenant, generated)
    async with units_of_work() as uow:
        for matter_id, matter in zip(ids, generated, strict=True):
            assert await uow.repos.access.of_matter(tenant, matter_id) == matter.access
        for scope in callers:
            expected = [m for m, matter in zip(ids, generated, strict=True) if visible(scope, matter.access)]
            cases = await uow.repos.cases.by_matter(tenant, None, limit, scope)
            assert [c.matter_id for c in cases] == expected[:limit], scope
            if scope.office is not None:
                queued = [
                    m
                    for m, matter in zip(ids, generated, strict=True)
                    if matter.task_office == scope.office and visible(scope, matter.access)
                ]
                tasks = await uow.repos.work.tasks(tenant, scope.office, "open", limit, scope)
                assert [t.matter_id for t in tasks] == queued[:limit], scope
