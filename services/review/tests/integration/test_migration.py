"""Migration 0008 on both databases: the matters review held before it are read by the offices
their consultations and cases name, as those stored after it are."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, text

from wenze.auth.access import MatterAccess
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import alembic_config, upgrade
from wenze_review.app import MIGRATIONS
from wenze_review.cases.models import Case
from wenze_review.deliberations.models import Deliberation
from wenze_review.repositories import ReviewRepositories, make_repositories

pytestmark = pytest.mark.integration

TENANT = "kunshan"
CONSULTED = {"kind": "person", "name": "张明", "unit": "市住房和城乡建设局", "cadre_level": "city_managed"}
ORGANISATION = {"kind": "organisation", "name": "某党支部", "unit": "巴城镇", "org_level": "township_section"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def before_0008(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[str, str]]:
    """A review schema migrated to 0007, the revision before the matter facts."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'review.db'}", "review"
    else:
        url, schema = database_url, f"review_{uuid.uuid4().hex[:8]}"
        engine = create_engine(url, schema=schema)
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
    await asyncio.to_thread(command.upgrade, alembic_config(MIGRATIONS, url, schema), "0007")
    yield url, schema


async def test_the_facts_of_what_was_stored_before_are_filled_in(before_0008: tuple[str, str]) -> None:
    url, schema = before_0008
    consulted, routed = str(uuid.uuid4()), str(uuid.uuid4())
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    engine = create_engine(url, schema=schema)
    async with engine.begin() as connection:
        await connection.execute(
            insert(Deliberation.__table__).values(
                id=str(uuid.uuid4()),
                tenant=TENANT,
                kind="consultation",
                matter_id=consulted,
                slip_id=str(uuid.uuid4()),
                matter_number="RT-1",
                summary="拖延整改",
                relevant_date=now.date(),
                targets=[CONSULTED],
                lead="party_conduct_office",
                participants=["party_conduct_office", "case_trial_office"],
                proposed_handler="discipline_supervision_office",
                handler_candidates=[],
                approved_by=["commission_leaders"],
                escalation=[
                    {"step": "leaders_in_charge", "actor": "leader_in_charge", "joined_by": ["principal_leader"]}
                ],
                state="signing",
                citations=[],
                created_at=now,
            )
        )
        await connection.execute(
            insert(Case.__table__).values(
                id=str(uuid.uuid4()),
                tenant=TENANT,
                matter_id=routed,
                slip_id=str(uuid.uuid4()),
                slip_number="S-1",
                matter_number="RT-2",
                summary="履职不力",
                relevant_date=now.date(),
                targets=[ORGANISATION],
                handler="district_town_commission",
                cc=["discipline_supervision_office"],
                investigated_by=None,
                investigated_with=[],
                reclassify_after_investigation=False,
                joint_review_required=False,
                start_approved_by=[],
                decided_by=[],
                fixed_by="rules",
                routing_facts={},
                routing_outcome={},
                citations=[],
                state="deciding",
                requirements={"approved_by": ["principal_leader"], "decided_by": ["standing_committee_meeting"]},
                created_at=now,
            )
        )
        await connection.execute(
            text(
                "INSERT INTO office_members (tenant, username, office, capabilities, recorded_at) "
                "VALUES (:tenant, 'trial-1', 'case_trial_office', :capabilities, :at)"
            ),
            {"tenant": TENANT, "capabilities": "[]", "at": now},
        )
    await engine.dispose()

    await upgrade(MIGRATIONS, url, schema)

    engine = create_engine(url, schema=schema)
    units_of_work: UnitOfWorkFactory[ReviewRepositories] = UnitOfWorkFactory(engine, make_repositories)
    async with units_of_work() as uow:
        assert await uow.repos.access.of_matter(TENANT, consulted) == MatterAccess(
            offices=frozenset(
                {
                    "party_conduct_office",
                    "case_trial_office",
                    "discipline_supervision_office",
                    "commission_leaders",
                    "leader_in_charge",
                    "principal_leader",
                }
            ),
            levels=frozenset({"city_managed"}),
            units=frozenset({"市住房和城乡建设局"}),
        )
        assert await uow.repos.access.of_matter(TENANT, routed) == MatterAccess(
            offices=frozenset(
                {
                    "district_town_commission",
                    "discipline_supervision_office",
                    "principal_leader",
                    "standing_committee_meeting",
                }
            ),
            levels=frozenset({"township_section"}),
            units=frozenset({"巴城镇"}),
        )
        member = await uow.repos.members.get(TENANT, "trial-1")
        assert member is not None and member.cadre_authority == []
    await engine.dispose()
