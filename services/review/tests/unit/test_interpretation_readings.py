"""Zhenxiong's 十五（一）makes two accountabilities within a year a ground for heavier treatment;
whether the case being decided is one of the two is interpretation point
``repeat_count_includes_current`` (the pack's default: it is). Once the county's administrator
chooses "earlier ones only" from a date, one earlier decision no longer aggravates a case whose
relevant date falls after it, while a case dated before keeps the heavier treatment; the
recommendation's factors name the point and the reading.

The services are review's own, on the real Zhenxiong pack; the choice arrives as routing
publishes it (``interpretation.chosen``), through the method the worker's consumer calls.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from wenze.auth.capabilities import DECISION_MAKE
from wenze.db.interpretations import InterpretationLearner
from wenze.db.tenancy import tenant_scope
from wenze.events import InterpretationReadingChosen
from wenze.events.intake import TargetSnapshot
from wenze.events.routing import MatterRouted
from wenze.rules import RulePack, get_pack
from wenze.rules.facts import matter_facts, target_facts
from wenze_review.cases.models import Case, Investigation
from wenze_review.cases.schemas import (
    DecisionCreate,
    FindingsCreate,
    HearingCreate,
    RecommendationCreate,
    TargetMeasures,
)
from wenze_review.worker import INTERPRETATION_CONSUMER

from .support import Review, user

TENANT = "zhenxiong"
POINT = "repeat_count_includes_current"
REPEAT_ARTICLE = "镇雄县纪检监察干部工作责任追究办法（试行） 十五（一）"
CHOSEN_FROM = dt.date(2026, 6, 15)
PERSON = TargetSnapshot(kind="person", name="周立", unit="县纪委监委第四监督检查室", cadre_level="leader")
HANDLER = user("cadre_supervision_office", DECISION_MAKE, tenant=TENANT, authority=["leader", "staff"])
COMMITTEE = user("county_standing_committee", DECISION_MAKE, tenant=TENANT, authority=["leader", "staff"])


class ZhenxiongReview(Review):
    @staticmethod
    def _pack(tenant: str) -> RulePack:
        assert tenant == TENANT, tenant
        return get_pack(TENANT)


@pytest.fixture
async def zhenxiong(migrated_database: Path, tmp_path: Path) -> AsyncIterator[Review]:
    copy = tmp_path / "review.db"
    shutil.copyfile(migrated_database, copy)
    review = ZhenxiongReview(copy)
    with tenant_scope(TENANT):
        yield review
    await review.close()


async def case_for(review: Review, relevant_date: dt.date) -> Case:
    pack = get_pack(TENANT)
    facts = {**matter_facts("other", False, None, [PERSON]), **target_facts(PERSON)}
    outcome = pack.evaluate("routing", facts, on=relevant_date).outcome
    event = MatterRouted(
        tenant=TENANT,
        matter_id=uuid.uuid4(),
        slip_id=uuid.uuid4(),
        slip_number=f"S-{uuid.uuid4().hex[:6]}",
        matter_number=f"ZX-{uuid.uuid4().hex[:6]}",
        summary="履职不力",
        relevant_date=relevant_date,
        targets=[PERSON],
        handler=outcome["handler"],
        cc=[],
        investigated_by=None,
        investigated_with=[],
        reclassify_after_investigation=False,
        joint_review_required=False,
        start_approved_by=[],
        decided_by=[],
        fixed_by="rules",
        facts=facts,
        outcome=outcome,
        citations=["镇雄县纪检监察干部工作责任追究办法（试行） 七"],
    )
    await review.services.cases.matter_routed(event)
    case = review.one(Case, matter_id=str(event.matter_id))
    investigation = review.one(Investigation, case_id=case.id)
    await review.services.cases.record_findings(HANDLER, investigation.id, FindingsCreate(findings="查明"), None)
    return case


async def recommend(review: Review, case: Case, occurred_on: dt.date) -> dict[str, Any]:
    body = RecommendationCreate(
        target_index=0,
        statement="履职不力",
        legal_basis="镇雄县纪检监察干部工作责任追究办法（试行） 八",
        severity="lighter",
        circumstances=["routine_work"],
        proposed_measures=["criticism_education"],
        occurred_on=occurred_on,
    )
    made = await review.services.cases.recommend(HANDLER, case.id, body, None)
    (recommendation,) = made["recommendations"]
    return recommendation["factors"]


async def test_the_chosen_count_applies_to_cases_dated_after_it_and_is_named(zhenxiong: Review) -> None:
    review = zhenxiong
    # The person's first accountability, opened and decided in March.
    review.clock.now = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    first = await case_for(review, dt.date(2026, 3, 1))
    await recommend(review, first, dt.date(2026, 3, 1))
    decided = DecisionCreate(
        decided_on=dt.date(2026, 3, 10),
        facts_clear=True,
        measures=[TargetMeasures(target_index=0, measures=["criticism_education"])],
    )
    review.clock.now = dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC)
    heard = HearingCreate(target_index=0, held_on=dt.date(2026, 3, 9), arguments=[])
    await review.services.cases.hear(HANDLER, first.id, heard, None)
    await review.services.cases.decide(COMMITTEE, first.id, decided, None)
    review.clock.now = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)

    learner = InterpretationLearner(review.services.cases.uow, INTERPRETATION_CONSUMER)
    chosen = InterpretationReadingChosen(
        tenant=TENANT,
        point=POINT,
        reading="earlier_only",
        effective_from=CHOSEN_FROM,
        choice_version=1,
        chosen_by="zx-admin",
        reason="县纪委常委会研究决定",
    )
    await learner.learn(chosen)
    await learner.learn(chosen)  # redelivered: kept once

    # Dated before the choice: the current case counts, one earlier decision makes it heavier.
    before = await recommend(review, await case_for(review, dt.date(2026, 6, 1)), dt.date(2026, 6, 1))
    assert before["facts"]["prior_accountabilities"] == 1
    assert before["outcome"]["repeated_within_year"] is True and "heavier" in before["outcome"]["adjustments"]
    assert REPEAT_ARTICLE in before["citations"]
    (read_before,) = [i for i in before["interpretations"] if i["point"] == POINT]
    assert (read_before["reading"], read_before["default"]) == ("current_counts", True)

    # Dated after it: earlier accountabilities only, and one is not two.
    after = await recommend(review, await case_for(review, dt.date(2026, 7, 1)), dt.date(2026, 7, 1))
    assert after["facts"]["prior_accountabilities"] == 1
    assert after["outcome"].get("repeated_within_year") in (None, False)
    assert "heavier" not in after["outcome"].get("adjustments", [])
    (read_after,) = [i for i in after["interpretations"] if i["point"] == POINT]
    assert (read_after["reading"], read_after["default"]) == ("earlier_only", False)
    assert REPEAT_ARTICLE in [f"{c['document']} {c['article']}" for c in read_after["citations"]]
