"""The real review services on a database of their own: an SQLite file migrated by review's
own migrations (the embedded default's engine), per test; with the demo users' principals and
the events routing publishes, as the services receive them."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy
from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze.auth.principal import Principal
from wenze.db import UnitOfWorkFactory
from wenze.db.base import Base, utcnow
from wenze.db.engine import create_engine
from wenze.db.migrations import upgrade
from wenze.db.outbox import OutboxRecord
from wenze.db.tenancy import tenant_scope
from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot
from wenze.events.routing import ConsultationRequested, MatterRouted, RuleStep
from wenze.persons import DEVELOPMENT_KEY, PersonReferences
from wenze.rules import RulePack
from wenze.rules.facts import matter_facts, target_facts
from wenze_devtools.testing.issuer import load_demo_users
from wenze_review.app import MIGRATIONS
from wenze_review.repositories import make_repositories
from wenze_review.services import Services, build_services

M = TypeVar("M", bound=Base)
E = TypeVar("E", bound=Event)
TENANT = "kunshan"
PACK = RulePack(Path(__file__).resolve().parents[1] / "rulesets" / TENANT)


@dataclass
class Clock:
    """The instant the services take for now; a test sets it."""

    now: dt.datetime = field(default_factory=utcnow)

    def __call__(self) -> dt.datetime:
        return self.now


class Review:
    """The real review services on a real database of their own (an SQLite file, the embedded
    default, migrated by review's own migrations), the test pack, and a clock the test sets.

    ``rows``/``one``/``published`` read what the services committed through a separate
    connection, so a refused request is seen to have left the database as it was."""

    def __init__(self, database_file: Path) -> None:
        self.clock = Clock()
        url = f"sqlite:///{database_file}"
        self._engine = create_engine(url, schema="review")
        self.services: Services = build_services(
            UnitOfWorkFactory(self._engine, make_repositories),
            PersonReferences(DEVELOPMENT_KEY),
            packs=self._pack,
            clock=self.clock,
        )
        self._reader = Session(sqlalchemy.create_engine(url))

    async def close(self) -> None:
        self._reader.close()
        await self._engine.dispose()

    @staticmethod
    def _pack(tenant: str) -> RulePack:
        assert tenant == TENANT, tenant
        return PACK

    def rows(self, model: type[M], **equal: Any) -> list[M]:
        """Committed rows of ``model`` with these column values."""
        self._reader.rollback()  # a fresh read: what has been committed since the last one
        self._reader.expire_all()
        return list(self._reader.scalars(select(model).filter_by(**equal)))

    def one(self, model: type[M], **equal: Any) -> M:
        (row,) = self.rows(model, **equal)
        return row

    def published(self, event_type: type[E]) -> list[E]:
        """The events of ``event_type`` the services staged for publication, in order."""
        suffix = f".{event_type.aggregate}.{event_type.name}.v{event_type.version}"
        return [
            event_type.model_validate_json(row.payload)
            for row in self.rows(OutboxRecord)
            if row.subject.endswith(suffix)
        ]


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Review's schema at head, once per session; each test works on a copy of it."""
    path = tmp_path_factory.mktemp("review-schema") / "review.db"
    asyncio.run(upgrade(MIGRATIONS, f"sqlite:///{path}", "review"))
    return path


@pytest.fixture
async def review(migrated_database: Path, tmp_path: Path) -> AsyncIterator[Review]:
    copy = tmp_path / "review.db"
    shutil.copyfile(migrated_database, copy)
    review = Review(copy)
    with tenant_scope(TENANT):
        yield review
    await review.close()


def office_authority(realm: str) -> dict[str, frozenset[str]]:
    """The authority (干部管理权限) each office's demo users of ``realm`` have."""
    _, users = load_demo_users()[realm]
    return {u.office: frozenset(u.cadre_authority) for u in users if u.office}


AUTHORITY = office_authority("wenze-kunshan")


def user(
    office: str,
    *roles: str,
    username: str | None = None,
    tenant: str = TENANT,
    authority: Iterable[str] | None = None,
    linked_units: Iterable[str] = (),
) -> Principal:
    """A verified caller acting for ``office`` with ``roles`` (and ``matter:read``), with the
    authority the tenant's demo users of that office have unless ``authority`` says otherwise."""
    name = username or f"{office}-user"
    return Principal(
        tenant=tenant,
        subject=f"subject-of-{name}",
        username=name,
        roles=frozenset({*roles, "matter:read"}),
        office=office,
        cadre_authority=frozenset(AUTHORITY.get(office, ()) if authority is None else authority),
        linked_units=tuple(linked_units),
    )


# A cadre the discipline-supervision office handles: joint review, the standing committee decides
# after the principal leader approves. And one the town commission handles and decides alone.
CITY_CADRE = TargetSnapshot(
    kind="person", name="张明", unit="市住房和城乡建设局", cadre_level="city_managed", sector="city_department"
)
TOWN_CADRE = TargetSnapshot(
    kind="person", name="沈小林", unit="巴城镇", cadre_level="not_city_managed", sector="district_town"
)
CONSULTATION_CITATION = "审测〔2024〕1号 第二条"


def _routing(target: TargetSnapshot, on: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts routing gives the rules for ``target``, and their outcome, as its events carry them."""
    facts = {**matter_facts("other", False, None, [target]), **target_facts(target)}
    return facts, PACK.evaluate("routing", facts, on=on).outcome


def consultation_requested(relevant_date: dt.date = dt.date(2026, 6, 1), **overrides: Any) -> ConsultationRequested:
    facts, outcome = _routing(CITY_CADRE, relevant_date)
    fields: dict[str, Any] = {
        "tenant": TENANT,
        "matter_id": uuid.uuid4(),
        "slip_id": uuid.uuid4(),
        "slip_number": "S-1",
        "matter_number": "RT-1",
        "summary": "拖延整改",
        "relevant_date": relevant_date,
        "targets": [CITY_CADRE],
        "lead": "party_conduct_office",
        "participants": ["party_conduct_office", "case_trial_office"],
        "proposed_handler": "discipline_supervision_office",
        "handler_candidates": [],
        "approved_by": ["commission_leaders"],
        "escalation": [
            RuleStep(step="leaders_in_charge", actor="leader_in_charge"),
            RuleStep(step="secretary_special_meeting", actor="secretary_special_meeting"),
        ],
        "facts": facts,
        "outcome": outcome,
        "citations": [CONSULTATION_CITATION],
    }
    return ConsultationRequested(**{**fields, **overrides})


def matter_routed(
    target: TargetSnapshot = TOWN_CADRE, relevant_date: dt.date = dt.date(2026, 6, 1), **overrides: Any
) -> MatterRouted:
    facts, outcome = _routing(target, relevant_date)
    fields: dict[str, Any] = {
        "tenant": TENANT,
        "matter_id": uuid.uuid4(),
        "slip_id": uuid.uuid4(),
        "slip_number": "S-2",
        "matter_number": "RT-2",
        "summary": "履职不力",
        "relevant_date": relevant_date,
        "targets": [target],
        "handler": outcome["handler"],
        "cc": [],
        "investigated_by": None,
        "investigated_with": [],
        "reclassify_after_investigation": False,
        "joint_review_required": outcome["target_class"] == "major",
        "start_approved_by": [],
        "decided_by": [],
        "fixed_by": "rules",
        "facts": facts,
        "outcome": outcome,
        "citations": ["审测〔2024〕1号 第三条"],
    }
    return MatterRouted(**{**fields, **overrides})
