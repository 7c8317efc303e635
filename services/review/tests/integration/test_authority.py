"""Cadre-management authority (干部管理权限) on Jintan's own pack (坛作组办〔2019〕2号): a
section-level leader is decided on by the conduct office, the district commission and the
organisation department once the district standing committee agrees (第十五条第二款), and
only by a user whose authority covers section-level leaders. A unit's office, whose
authority is its clerks and contract staff, does not even see such a matter.

The review services run in-process on PostgreSQL with the demo users' claims as principals.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from wenze.auth.access import OutsideAuthority
from wenze.auth.principal import Principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.audit import AuditEntry
from wenze.db.migrations import upgrade
from wenze.events.intake import TargetSnapshot
from wenze.events.routing import MatterRouted
from wenze.persons import DEVELOPMENT_KEY, PersonReferences
from wenze.rules import get_pack
from wenze.rules.facts import matter_facts, target_facts
from wenze_devtools.testing.issuer import load_demo_users
from wenze_review.app import MIGRATIONS
from wenze_review.cases.models import Decision
from wenze_review.cases.schemas import (
    CaseApprovalCreate,
    CaseRead,
    DecisionCreate,
    FindingsCreate,
    HearingCreate,
    RecommendationCreate,
    TargetMeasures,
)
from wenze_review.deliberations.schemas import ApprovalCreate, SignatureCreate
from wenze_review.errors import CaseNotFound
from wenze_review.repositories import make_repositories
from wenze_review.services import Services, build_services

pytestmark = pytest.mark.integration

TENANT = "jintan"
PACK = get_pack(TENANT)
SECTION_LEADER = TargetSnapshot(
    kind="person",
    name="赵立新",
    post="副局长",
    unit="区教育局",
    cadre_level="section_leader",
    sector="administrative_organ",
    party_member=True,
)
MEASURES = ["circulated_notice", "organisational_measure"]


def demo(demo_user: str, **overrides: Any) -> Principal:
    """The principal of a Jintan demo user, as its token maps, with ``overrides``."""
    _, users = load_demo_users()[f"wenze-{TENANT}"]
    user = next(u for u in users if u.username == demo_user)
    claims: dict[str, Any] = {
        "tenant": TENANT,
        "subject": user.id,
        "username": user.username,
        "roles": frozenset(user.roles),
        "office": user.office,
        "cadre_authority": frozenset(user.cadre_authority),
        "linked_units": tuple(user.linked_units),
    }
    return Principal(**{**claims, **overrides})


def routed(target: TargetSnapshot) -> MatterRouted:
    """The slip routing makes of a matter with one target, by Jintan's routing step."""
    today = PACK.today()
    facts = {**matter_facts("department_transfer", False, None, [target]), **target_facts(target)}
    routing = PACK.workflow_decision("routing")
    assert routing is not None
    outcome = PACK.evaluate(routing, facts, on=today).outcome
    return MatterRouted(
        tenant=TENANT,
        matter_id=uuid.uuid4(),
        slip_id=uuid.uuid4(),
        slip_number="JT-FD-1",
        matter_number="JT-1",
        summary="重点工程推进严重滞后",
        relevant_date=today,
        targets=[target],
        handler=outcome["handler"],
        cc=[],
        investigated_by=outcome.get("investigated_by"),
        investigated_with=list(outcome.get("investigated_with") or []),
        reclassify_after_investigation=bool(outcome.get("reclassify_after_investigation")),
        joint_review_required=bool(outcome.get("joint_review_required")),
        start_approved_by=list(outcome.get("start_approved_by") or []),
        decided_by=[],
        fixed_by="rules",
        facts=facts,
        outcome=outcome,
        citations=["坛作组办〔2019〕2号 第十三条"],
    )


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    schema = f"review_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, database_url, schema)
    engine = create_engine(database_url, schema=schema)
    yield build_services(UnitOfWorkFactory(engine, make_repositories), PersonReferences(DEVELOPMENT_KEY))
    await engine.dispose()


async def case_ready_for_decision(services: Services, event: MatterRouted) -> CaseRead:
    """From the routed slip to the decision stage, each step by the demo user whose office the pack names."""
    await services.cases.matter_routed(event)
    office = demo("jt-conduct-office")
    (case,) = await services.cases.list_cases(office, str(event.matter_id), 10)
    for approver in ("jt-group-deputy", "jt-group-head"):
        await services.cases.approve(demo(approver), case.id, CaseApprovalCreate(stage="start"), None)
    assert case.investigation is not None
    await services.cases.record_findings(
        office, case.investigation.id, FindingsCreate(findings="重点工程推进严重滞后。", evidence=["督查通报"]), None
    )
    recommended = await services.cases.recommend(
        office,
        case.id,
        RecommendationCreate(
            target_index=0,
            statement="作风不实，造成不良影响",
            legal_basis="坛作组办〔2019〕2号",
            severity="serious",
            circumstances=["major_project_delayed"],
            proposed_measures=MEASURES,
        ),
        None,
    )
    review_id = recommended["joint_review_id"]
    for signer in ("jt-conduct-office", "jt-commission", "jt-organisation"):
        await services.deliberations.sign(
            demo(signer), "joint_review", review_id, SignatureCreate(opinion="agree"), None
        )
    approvers = {demo(u).office: u for u in ("jt-conduct-office", "jt-group-deputy", "jt-group-head")}
    joint = await services.deliberations.get(office, "joint_review", review_id)
    for approving_office in joint.approved_by:
        await services.deliberations.approve(
            demo(approvers[approving_office]), "joint_review", review_id, ApprovalCreate(), None
        )
    await services.cases.hear(office, case.id, HearingCreate(target_index=0, held_on=PACK.today(), arguments=[]), None)
    await services.cases.approve(demo("jt-standing-committee"), case.id, CaseApprovalCreate(stage="decision"), None)
    ready = await services.cases.get(office, case.id)
    assert ready.state == "deciding" and "district_commission" in (ready.requirements or {})["decided_by"]
    return ready


async def test_a_section_level_leader_is_decided_on_only_within_the_deciding_offices_authority(
    services: Services,
) -> None:
    event = routed(SECTION_LEADER)
    case = await case_ready_for_decision(services, event)
    decision = DecisionCreate(
        decided_on=PACK.today(), facts_clear=True, measures=[TargetMeasures(target_index=0, measures=MEASURES)]
    )

    # A unit's office decides on its clerks and contract staff: it does not see this matter at all.
    unit = demo("jt-unit-education")
    with pytest.raises(CaseNotFound):
        await services.cases.decide(unit, case.id, decision, None)
    assert await services.cases.list_cases(unit, str(event.matter_id), 10) == []

    # A user of a deciding office whose authority is a unit's: the office's step, outside its authority.
    clerks_only = demo(
        "jt-commission", username="jt-commission-clerks", cadre_authority=frozenset({"staff", "contract_staff"})
    )
    with pytest.raises(OutsideAuthority) as refused:
        await services.cases.decide(clerks_only, case.id, decision, None)
    assert refused.value.status_code == 403 and refused.value.extra == {"levels": ["section_leader"]}

    async with services.cases.uow() as uow:
        assert (await uow.session.scalars(select(Decision).where(Decision.case_id == case.id))).all() == []
        assert [
            e.actor
            for e in (await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.decide"))).all()
        ] == []

    decided = await services.cases.decide(demo("jt-commission"), case.id, decision, None)
    assert decided["decision"]["decided_by"] == "district_commission"
    async with services.cases.uow() as uow:
        (entry,) = (await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.decide"))).all()
        assert (entry.actor, entry.office, entry.object_id) == ("jt-commission", "district_commission", case.id)
