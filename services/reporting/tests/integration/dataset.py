"""A generated data set of matters across the four tenants, as the events the services emit,
with what happened to each matter kept on the side to check the reports against.

Deterministic (seeded): the same size gives the same events.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache

from wenze.events import (
    DeadlineMissed,
    DecidedMeasure,
    DecisionMade,
    Event,
    MatterAccepted,
    MatterReceived,
    MatterRejected,
    MatterRouted,
    TargetSnapshot,
)
from wenze.rules import get_pack

TENANTS = ("kunshan", "jintan", "zhenxiong", "hubei")
FIRST_DAY = dt.date(2025, 7, 1)
DAYS = 365
UNITS = ("玉山镇", "周市镇", "市教育局", "市卫生健康委员会", "张浦镇")
NAMES = ("王某", "李某", "张某", "刘某", "陈某", "杨某")


def month_of(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def noon_utc(day: dt.date) -> dt.datetime:
    # 20:00 in Asia/Shanghai: the same date in every tenant's zone.
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


@dataclass
class Truth:
    """What was submitted and decided, per tenant and month, counted as the data set made it."""

    counts: dict[str, Counter[tuple[str, tuple[int, int]]]] = field(default_factory=lambda: defaultdict(Counter))
    measures: dict[str, Counter[tuple[str, tuple[int, int]]]] = field(default_factory=lambda: defaultdict(Counter))
    routed_by_office: dict[str, Counter[tuple[str, tuple[int, int]]]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    sources: dict[str, Counter[tuple[str, tuple[int, int]]]] = field(default_factory=lambda: defaultdict(Counter))
    # (tenant) -> list of (decided_on, kind, level, measures)
    targets: dict[str, list[tuple[dt.date, str, str | None, list[str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    missed: dict[str, list[tuple[dt.date, str]]] = field(default_factory=lambda: defaultdict(list))

    def months(self, tenant: str) -> set[tuple[int, int]]:
        return {month for (_, month) in self.counts[tenant]}


@cache
def _vocab(tenant: str, name: str) -> list[str]:
    return sorted(get_pack(tenant).vocabulary.get(name, {}))


def generate(matters: int, *, seed: int = 12) -> tuple[list[Event], Truth]:
    rng = random.Random(seed)
    events: list[Event] = []
    truth = Truth()
    for n in range(matters):
        tenant = TENANTS[n % len(TENANTS)]
        pack = get_pack(tenant)
        offices = _vocab(tenant, "offices")
        levels = _vocab(tenant, "cadre_levels")
        org_levels = _vocab(tenant, "organisation_levels")
        measures = _vocab(tenant, "measures") + _vocab(tenant, "party_sanctions")
        sources = _vocab(tenant, "intake_sources")
        forms = _vocab(tenant, "forms")
        matter_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        number = f"{tenant[:2].upper()}-{n:06d}"
        received = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
        kinds = ["person"] * rng.randint(1, 2) + (["organisation"] if rng.random() < 0.2 else [])
        targets = [
            TargetSnapshot(
                kind=kind,  # type: ignore[arg-type]
                name=rng.choice(NAMES) if kind == "person" else None,
                post="局长" if kind == "person" else None,
                unit=rng.choice(UNITS),
                cadre_level=rng.choice(levels) if kind == "person" and levels else None,
                org_level=rng.choice(org_levels) if kind == "organisation" and org_levels else None,
            )
            for kind in kinds
        ]
        source = rng.choice(sources)
        form = rng.choice(forms) if forms else None
        summary = f"{targets[0].unit}{targets[0].name or ''}落实主体责任不力，编号{number}"
        events.append(
            MatterReceived(
                tenant=tenant,
                matter_id=matter_id,
                occurred_at=noon_utc(received),
                number=number,
                source=source,
                source_reference=None,
                summary=summary,
                key_supervised=rng.random() < 0.1,
                proposed_form=form,
                targets=targets,
            )
        )
        truth.counts[tenant]["received", month_of(received)] += 1
        truth.sources[tenant][source, month_of(received)] += 1
        study = received + dt.timedelta(days=rng.randint(0, 10))
        if rng.random() < 0.1:
            events.append(
                MatterRejected(
                    tenant=tenant,
                    matter_id=matter_id,
                    occurred_at=noon_utc(study),
                    number=number,
                    outcome="not_accepted",
                    reason="不属于问责范围",
                    transferred_to=None,
                    study_date=study,
                    participants=[offices[0]],
                    decided_by="intake-user",
                )
            )
            truth.counts[tenant]["rejected", month_of(study)] += 1
            continue
        events.append(
            MatterAccepted(
                tenant=tenant,
                matter_id=matter_id,
                occurred_at=noon_utc(study),
                number=number,
                source=source,
                summary=summary,
                facts="经集体研究，予以受理",
                key_supervised=False,
                proposed_form=form,
                targets=targets,
                relevant_date=received,
                study_date=study,
                participants=[offices[0]],
                accepted_by="intake-user",
            )
        )
        truth.counts[tenant]["accepted", month_of(study)] += 1
        routed = study + dt.timedelta(days=rng.randint(0, 5))
        slips = 1 if len(targets) == 1 or rng.random() < 0.5 else len(targets)
        for s in range(slips):
            handler = rng.choice(offices)
            events.append(
                MatterRouted(
                    tenant=tenant,
                    matter_id=matter_id,
                    occurred_at=noon_utc(routed),
                    slip_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    slip_number=f"{number}-S{s}",
                    matter_number=number,
                    summary=summary,
                    relevant_date=received,
                    targets=targets,
                    handler=handler,
                    cc=[],
                    investigated_by=None,
                    investigated_with=[],
                    reclassify_after_investigation=False,
                    joint_review_required=False,
                    start_approved_by=[],
                    decided_by=[],
                    fixed_by="rules",
                    facts={},
                    outcome={"handler": handler},
                    citations=[],
                )
            )
            truth.routed_by_office[tenant][handler, month_of(routed)] += 1
        truth.counts[tenant]["routed", month_of(routed)] += 1
        if rng.random() < 0.3:
            continue
        decided_on = routed + dt.timedelta(days=rng.randint(5, 60))
        if decided_on >= FIRST_DAY + dt.timedelta(days=DAYS):
            continue
        decided = []
        for target in targets:
            chosen = sorted(set(rng.sample(measures, k=rng.randint(1, 2))))
            decided.append(DecidedMeasure(target=target, measures=chosen))
            level = target.cadre_level or target.org_level
            truth.targets[tenant].append((decided_on, target.kind, level, chosen))
            for measure in chosen:
                truth.measures[tenant][measure, month_of(decided_on)] += 1
        events.append(
            DecisionMade(
                tenant=tenant,
                matter_id=matter_id,
                occurred_at=noon_utc(decided_on),
                decision_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                number=f"{number}-D",
                matter_number=number,
                decided_by=rng.choice(offices),
                decided_on=decided_on,
                announced_on=None,
                simplified_procedure=False,
                measures=decided,
                citations=[f"{pack.documents[0].number or pack.documents[0].id} 第一条"],
            )
        )
        truth.counts[tenant]["decided", month_of(decided_on)] += 1
        if rng.random() < 0.1:
            due = decided_on + dt.timedelta(days=15)
            office = rng.choice(offices)
            events.append(
                DeadlineMissed(
                    tenant=tenant,
                    matter_id=matter_id,
                    occurred_at=noon_utc(due + dt.timedelta(days=1)),
                    deadline_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    execution_id=None,
                    matter_number=number,
                    office=office,
                    duty="execution_report",
                    label="执行情况报告",
                    due_on=due,
                    citations=[],
                )
            )
            truth.missed[tenant].append((due, office))
    return events, truth
