"""Review's repositories and unit of work in memory, so the real services run without I/O.

``FakeDatabase`` keeps committed rows as column values, per model. Each unit of work reads
them into model objects of its own and writes its objects back only on commit, so a refused
request leaves the database as it was, as a rolled-back transaction does. Each fake
repository implements every method of the real one it stands for (a test checks it).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import inspect

from wenze.auth.access import MatterAccess, ReadScope, visible
from wenze.auth.principal import Principal
from wenze.db.audit import AuditEntry, AuditRecord, AuditRepository
from wenze.db.base import Base, utcnow
from wenze.db.idempotency import IdempotencyRecord, IdempotencyRepository
from wenze.db.inbox import InboxRecord, InboxRepository
from wenze.db.numbering import NumberCounter
from wenze.db.outbox import OutboxRepository
from wenze.db.states import StateMachine
from wenze.db.uow import UnitOfWork, UnitOfWorkFactory, _UowContext
from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot
from wenze.events.routing import ConsultationRequested, MatterRouted, RuleStep
from wenze.ids import new_id
from wenze.rules import RulePack
from wenze.rules.facts import matter_facts, target_facts
from wenze_devtools.testing.issuer import load_demo_users
from wenze_review.access.models import MatterAccessFact
from wenze_review.access.repository import AccessRepository, access_of, fact_rows
from wenze_review.cases.models import (
    CASES,
    INVESTIGATIONS,
    Case,
    CaseState,
    DecidedPerson,
    Decision,
    Hearing,
    Investigation,
    InvestigationState,
    Recommendation,
)
from wenze_review.cases.repository import CaseRepository
from wenze_review.deliberations.models import (
    DELIBERATIONS,
    Approval,
    Deliberation,
    DeliberationState,
    EscalationRecord,
    Signature,
)
from wenze_review.deliberations.repository import DeliberationRepository
from wenze_review.numbering import NumberRepository
from wenze_review.repositories import ReviewRepositories
from wenze_review.services import Services, build_services
from wenze_review.work.models import TASKS, OfficeMember, Task, TaskState, TimelineEntry
from wenze_review.work.repository import SYSTEM, MemberRepository, WorkRepository

M = TypeVar("M", bound=Base)
TENANT = "kunshan"
PACK = RulePack(Path(__file__).resolve().parents[1] / "rulesets" / TENANT)


class FakeDatabase:
    """Committed rows per model (column values by primary key) and the events published with them."""

    def __init__(self) -> None:
        self.rows: dict[type[Base], dict[tuple, dict[str, Any]]] = defaultdict(dict)
        self.published: list[Event] = []

    def committed(self, model: type[M]) -> list[M]:
        """Committed rows of ``model`` as new objects, for a test to look at."""
        return [model(**copy.deepcopy(values)) for values in self.rows[model].values()]


class WorkingCopy:
    """The rows one unit of work sees: the committed ones as model objects, and those it adds."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.objects: dict[type[Base], dict[tuple, Base]] = {}

    def all(self, model: type[M]) -> list[M]:
        return list(self._objects(model).values())  # type: ignore[arg-type]

    def find(self, model: type[M], **equal: Any) -> Iterator[M]:
        return (row for row in self.all(model) if all(getattr(row, k) == v for k, v in equal.items()))

    def first(self, model: type[M], **equal: Any) -> M | None:
        return next(self.find(model, **equal), None)

    def add(self, row: Base) -> None:
        model = type(row)
        for column in inspect(model).columns:
            if getattr(row, column.key) is not None:
                continue
            if column.default is not None:
                # The column's own default, as the database's insert would apply it.
                default = column.default
                setattr(row, column.key, default.arg(None) if default.is_callable else default.arg)  # type: ignore[attr-defined]
            elif column.autoincrement is True:
                setattr(row, column.key, len(self._objects(model)) + 1)
        self._objects(model)[_key(row)] = row

    def write_back(self) -> None:
        for model, objects in self.objects.items():
            self.database.rows[model] = {key: _values(row) for key, row in objects.items()}

    def _objects(self, model: type[Base]) -> dict[tuple, Base]:
        if model not in self.objects:
            self.objects[model] = {}
            for key, values in self.database.rows[model].items():
                self.objects[model][key] = model(**copy.deepcopy(values))
            if model is Deliberation:
                for deliberation in self.objects[model].values():
                    self._attach_rounds(deliberation)  # type: ignore[arg-type]
        return self.objects[model]

    def _attach_rounds(self, deliberation: Deliberation) -> None:
        deliberation.signatures = sorted(
            self.find(Signature, deliberation_id=deliberation.id), key=lambda s: s.signed_at
        )
        deliberation.levels = sorted(
            self.find(EscalationRecord, deliberation_id=deliberation.id), key=lambda e: e.level
        )


def _key(row: Base) -> tuple:
    return tuple(getattr(row, column.key) for column in inspect(type(row)).primary_key)


def _values(row: Base) -> dict[str, Any]:
    return {attribute.key: copy.deepcopy(getattr(row, attribute.key)) for attribute in inspect(type(row)).column_attrs}


async def _move(
    machine: StateMachine[Any], entity: Any, action: str, detail: str | None, values: dict[str, Any]
) -> Any:
    """What the machine's conditional update does, on an object of the working copy."""
    transition = machine.check(action, entity.state, detail)
    for name, value in {"state": transition.target, **values}.items():
        setattr(entity, name, value)
    return transition.target


class FakeCaseRepository(CaseRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def add(self, *rows: Base) -> None:
        for row in rows:
            self.rows.add(row)

    async def get(self, tenant: str, case_id: str, *, for_update: bool = False) -> Case | None:
        return self.rows.first(Case, tenant=tenant, id=case_id)

    async def by_matter(self, tenant: str, matter_id: str | None, limit: int, scope: ReadScope) -> list[Case]:
        cases = [
            c
            for c in self.rows.find(Case, tenant=tenant)
            if (matter_id is None or c.matter_id == matter_id)
            and visible(scope, _access(self.rows, tenant, c.matter_id))
        ]
        return sorted(cases, key=lambda c: (c.created_at, c.id))[:limit]

    async def move_case(self, case: Case, action: str, *, detail: str | None = None, **values: Any) -> CaseState:
        return await _move(CASES, case, action, detail, values)

    async def investigation(
        self, tenant: str, *, investigation_id: str | None = None, case_id: str | None = None
    ) -> Investigation | None:
        equal = {"id": investigation_id, "case_id": case_id}
        return self.rows.first(Investigation, tenant=tenant, **{k: v for k, v in equal.items() if v is not None})

    async def move_investigation(
        self, investigation: Investigation, action: str, *, detail: str | None = None, **values: Any
    ) -> InvestigationState:
        return await _move(INVESTIGATIONS, investigation, action, detail, values)

    async def recommendations(self, case_id: str) -> list[Recommendation]:
        return sorted(self.rows.find(Recommendation, case_id=case_id), key=lambda r: r.target_index)

    async def put_recommendation(self, recommendation: Recommendation) -> None:
        earlier = self.rows.first(
            Recommendation, case_id=recommendation.case_id, target_index=recommendation.target_index
        )
        if earlier is not None:
            recommendation.id = earlier.id
        self.rows.add(recommendation)

    async def hearings(self, case_id: str) -> list[Hearing]:
        return sorted(self.rows.find(Hearing, case_id=case_id), key=lambda h: h.recorded_at)

    async def decision(self, case_id: str) -> Decision | None:
        return self.rows.first(Decision, case_id=case_id)

    async def earlier_decisions(self, tenant: str, name: str, unit: str | None) -> list[dt.date]:
        return [p.decided_on for p in self.rows.find(DecidedPerson, tenant=tenant, name=name, unit=unit)]


class FakeDeliberationRepository(DeliberationRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def add(self, deliberation: Deliberation) -> None:
        self.rows.add(deliberation)

    async def get(
        self, tenant: str, kind: str, deliberation_id: str, *, for_update: bool = False
    ) -> Deliberation | None:
        return self.rows.first(Deliberation, tenant=tenant, kind=kind, id=deliberation_id)

    async def has_consultation(self, tenant: str, slip_id: str) -> bool:
        found = self.rows.first(Deliberation, tenant=tenant, kind="consultation", slip_id=slip_id, case_id=None)
        return found is not None

    async def move(
        self, deliberation: Deliberation, action: str, *, detail: str | None = None, **values: Any
    ) -> DeliberationState:
        return await _move(DELIBERATIONS, deliberation, action, detail, values)

    async def add_signature(self, deliberation: Deliberation, signature: Signature) -> None:
        signature.deliberation_id = deliberation.id
        deliberation.signatures.append(signature)
        self.rows.add(signature)

    async def add_level(self, deliberation: Deliberation, level: EscalationRecord) -> None:
        level.deliberation_id = deliberation.id
        deliberation.levels.append(level)
        self.rows.add(level)

    async def approvals(self, subject_id: str) -> list[Approval]:
        return sorted(self.rows.find(Approval, subject_id=subject_id), key=lambda a: a.approved_at)

    async def add_approval(self, approval: Approval) -> None:
        self.rows.add(approval)


class FakeWorkRepository(WorkRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    def open_task(
        self,
        *,
        tenant: str,
        kind: str,
        office: str,
        capability: str,
        matter_id: str,
        case_id: str | None,
        subject_id: str,
        citations: Iterable[str] = (),
        target_index: int | None = None,
    ) -> Task:
        now = utcnow()
        task = Task(
            id=new_id(),
            tenant=tenant,
            kind=kind,
            office=office,
            capability=capability,
            matter_id=matter_id,
            case_id=case_id,
            subject_id=subject_id,
            target_index=target_index,
            citations=list(citations),
            state=TaskState.OPEN,
            created_at=now,
            history=[{"at": now.isoformat(), "action": "opened", "by": SYSTEM}],
        )
        self.rows.add(task)
        return task

    async def close_tasks(
        self, subject_id: str, kind: str, by: str, *, office: str | None = None, target_index: int | None = None
    ) -> None:
        for task in self.rows.find(Task, subject_id=subject_id, kind=kind):
            if office in (None, task.office) and target_index in (None, task.target_index):
                self._move_task(task, "close", by)

    async def cancel_tasks(self, subject_id: str, by: str) -> None:
        for task in self.rows.find(Task, subject_id=subject_id):
            self._move_task(task, "cancel", by)

    @staticmethod
    def _move_task(task: Task, action: str, by: str) -> None:
        if TASKS.allows(action, task.state):
            task.state, task.closed_at, task.closed_by = TASKS.transition(action).target, utcnow(), by

    async def was_given(self, subject_id: str, kind: str, username: str, *, target_index: int | None = None) -> bool:
        return any(
            target_index in (None, t.target_index)
            for t in self.rows.find(Task, subject_id=subject_id, kind=kind, assignee=username)
        )

    async def get_task(self, tenant: str, task_id: str) -> Task | None:
        return self.rows.first(Task, tenant=tenant, id=task_id)

    async def hand_over(self, task: Task, to: str, entry: dict[str, Any]) -> bool:
        # One unit of work at a time: nobody can have changed the holder since it was read.
        if task.state != TaskState.OPEN:
            return False
        task.assignee, task.history = to, [*task.history, entry]
        return True

    async def tasks(self, tenant: str, office: str, state: str | None, limit: int, scope: ReadScope) -> list[Task]:
        tasks = [
            t
            for t in self.rows.find(Task, tenant=tenant, office=office)
            if state in (None, t.state) and visible(scope, _access(self.rows, tenant, t.matter_id))
        ]
        return sorted(tasks, key=lambda t: (t.created_at, t.id))[:limit]

    def record(
        self,
        *,
        tenant: str,
        matter_id: str,
        action: str,
        actor: str,
        office: str | None,
        case_id: str | None = None,
        subject_id: str | None = None,
        citations: Iterable[str] = (),
        detail: dict | None = None,
    ) -> None:
        self.rows.add(
            TimelineEntry(
                tenant=tenant,
                matter_id=matter_id,
                case_id=case_id,
                subject_id=subject_id,
                actor=actor,
                office=office,
                action=action,
                citations=list(citations),
                detail=detail or {},
                at=utcnow(),
            )
        )

    async def timeline(
        self, tenant: str, *, matter_id: str | None = None, case_id: str | None = None
    ) -> list[TimelineEntry]:
        equal = {"matter_id": matter_id, "case_id": case_id}
        entries = self.rows.find(TimelineEntry, tenant=tenant, **{k: v for k, v in equal.items() if v is not None})
        return sorted(entries, key=lambda e: e.id)


class FakeMemberRepository(MemberRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def record(
        self, tenant: str, username: str, office: str, capabilities: list[str], cadre_authority: list[str]
    ) -> None:
        member = self.rows.first(OfficeMember, tenant=tenant, username=username) or OfficeMember(
            tenant=tenant, username=username
        )
        member.office, member.capabilities, member.recorded_at = office, capabilities, utcnow()
        member.cadre_authority = cadre_authority
        self.rows.add(member)

    async def get(self, tenant: str, username: str) -> OfficeMember | None:
        return self.rows.first(OfficeMember, tenant=tenant, username=username)


def _access(rows: WorkingCopy, tenant: str, matter_id: str) -> MatterAccess:
    return access_of((f.facet, f.value) for f in rows.find(MatterAccessFact, tenant=tenant, matter_id=matter_id))


class FakeAccessRepository(AccessRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def note(
        self,
        tenant: str,
        matter_id: str,
        *,
        offices: Iterable[str | None] = (),
        targets: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        for row in fact_rows(tenant, matter_id, offices, targets):
            self.rows.add(MatterAccessFact(**row))

    async def of_matter(self, tenant: str, matter_id: str) -> MatterAccess:
        return _access(self.rows, tenant, matter_id)


class FakeNumberRepository(NumberRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def reserve(self, tenant: str, kind: str, year: int) -> int:
        counter = self.rows.first(NumberCounter, tenant=tenant, kind=kind, year=year)
        if counter is None:
            counter = NumberCounter(tenant=tenant, kind=kind, year=year, last=0)
            self.rows.add(counter)
        counter.last += 1
        return counter.last


class FakeInboxRepository(InboxRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def seen(self, event_id: str, consumer: str) -> bool:
        return self.rows.first(InboxRecord, event_id=event_id, consumer=consumer) is not None

    async def seen_many(self, event_ids: list[str], consumer: str) -> set[str]:
        return {e for e in event_ids if await self.seen(e, consumer)}

    def record(self, event_id: str, consumer: str, subject: str) -> None:
        self.rows.add(InboxRecord(event_id=event_id, consumer=consumer, subject=subject))


class FakeIdempotencyRepository(IdempotencyRepository):
    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        return self.rows.first(IdempotencyRecord, tenant=tenant, key=key)

    def store(self, tenant: str, key: str, fingerprint: str, status_code: int, body: dict) -> None:
        self.rows.add(
            IdempotencyRecord(tenant=tenant, key=key, fingerprint=fingerprint, status_code=status_code, body=body)
        )


class UnusedOutboxRepository(OutboxRepository):
    """Review's services publish through the unit of work; only the relay reads the outbox."""

    def __init__(self) -> None:
        pass

    async def claim_unpublished(self, limit: int) -> list:
        raise AssertionError("the relay's query; no service calls it")

    async def mark_published(self, ids: list[str]) -> None:
        raise AssertionError("the relay's query; no service calls it")

    async def backlog(self) -> int:
        raise AssertionError("the relay's query; no service calls it")


class FakeAuditRepository(AuditRepository):
    """The tenant's entries as the real repository inserts them, kept with the unit of work's
    rows; ids rise as the database's would. Nothing here chains: no test of the services
    reads the chain."""

    def __init__(self, rows: WorkingCopy) -> None:
        self.rows = rows

    async def append(self, tenant: str, records: Sequence[AuditRecord]) -> None:
        last = max((e.id for e in self.rows.find(AuditEntry)), default=0)
        now = utcnow()
        for offset, record in enumerate(records, start=1):
            self.rows.add(
                AuditEntry(
                    id=last + offset,
                    tenant=tenant,
                    recorded_at=now,
                    actor=record.actor,
                    office=record.office,
                    action=record.action,
                    object_kind=record.object_kind,
                    object_id=record.object_id,
                    client_address=record.client_address,
                    detail=record.detail,
                )
            )


def fake_repositories(rows: WorkingCopy) -> ReviewRepositories:
    return ReviewRepositories(
        idempotency=FakeIdempotencyRepository(rows),
        outbox=UnusedOutboxRepository(),
        inbox=FakeInboxRepository(rows),
        audit=FakeAuditRepository(rows),
        deliberations=FakeDeliberationRepository(rows),
        cases=FakeCaseRepository(rows),
        work=FakeWorkRepository(rows),
        members=FakeMemberRepository(rows),
        numbers=FakeNumberRepository(rows),
        access=FakeAccessRepository(rows),
    )


class FakeUnitOfWork(UnitOfWork[ReviewRepositories]):
    """A unit of work over a working copy; it has no session, so a service that reaches past its
    repositories for one fails here."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.rows = WorkingCopy(database)
        self.repos = fake_repositories(self.rows)
        self._events: list[Event] = []

    @property
    def dialect(self) -> str:
        return "memory"

    async def commit(self) -> None:
        self.rows.write_back()
        self.database.published.extend(self._events)
        self._events.clear()

    async def rollback(self) -> None:
        self._events.clear()
        self.rows.objects.clear()


class FakeUnitOfWorkContext(_UowContext[ReviewRepositories]):
    def __init__(self, database: FakeDatabase) -> None:
        self._uow = FakeUnitOfWork(database)

    async def __aenter__(self) -> FakeUnitOfWork:
        assert isinstance(self._uow, FakeUnitOfWork)
        return self._uow

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._uow is not None
        # As the real one: anything not committed is discarded.
        await self._uow.rollback()


class FakeUnitOfWorkFactory(UnitOfWorkFactory[ReviewRepositories]):
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database

    def __call__(self) -> FakeUnitOfWorkContext:
        return FakeUnitOfWorkContext(self.database)


@dataclass
class Clock:
    """The instant the services take for now; a test sets it."""

    now: dt.datetime = field(default_factory=utcnow)

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Review:
    """The real review services on a fake database, the test pack and a clock the test sets."""

    database: FakeDatabase = field(default_factory=FakeDatabase)
    clock: Clock = field(default_factory=Clock)
    services: Services = field(init=False)

    def __post_init__(self) -> None:
        self.services = build_services(FakeUnitOfWorkFactory(self.database), packs=self._pack, clock=self.clock)

    @staticmethod
    def _pack(tenant: str) -> RulePack:
        assert tenant == TENANT, tenant
        return PACK

    def rows(self, model: type[M], **equal: Any) -> list[M]:
        """Committed rows of ``model`` with these column values."""
        return [row for row in self.database.committed(model) if all(getattr(row, k) == v for k, v in equal.items())]

    def one(self, model: type[M], **equal: Any) -> M:
        (row,) = self.rows(model, **equal)
        return row

    def published(self, event_type: type[Event]) -> list[Any]:
        return [e for e in self.database.published if isinstance(e, event_type)]


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


REAL_REPOSITORIES: list[tuple[type, type]] = [
    (CaseRepository, FakeCaseRepository),
    (DeliberationRepository, FakeDeliberationRepository),
    (WorkRepository, FakeWorkRepository),
    (MemberRepository, FakeMemberRepository),
    (NumberRepository, FakeNumberRepository),
    (InboxRepository, FakeInboxRepository),
    (IdempotencyRepository, FakeIdempotencyRepository),
    (OutboxRepository, UnusedOutboxRepository),
    (AccessRepository, FakeAccessRepository),
    (AuditRepository, FakeAuditRepository),
]


def public_methods(cls: type) -> set[str]:
    return {name for name, value in vars(cls).items() if callable(value) and not name.startswith("_")}


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
