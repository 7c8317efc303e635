"""Where each matter is now across every service, and its timeline: projected from the events,
read with the same access rule as everywhere (``wenze.auth.access``).

Every event becomes one timeline entry, described in words through the tenant's pack (offices,
bodies, sources and measures by their labels), with the stage it brings the matter to, if any,
and the offices holding the matter after it. The matter's stage is that of its latest entry
that sets one, by the time the producing service gave the event (services' events about one
matter follow one another in time); the offices holding it are those the latest entry naming
any gives. Both are computed from the whole set of entries, so the order the streams are read
in, a redelivery or a rebuild change nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from wenze.auth.principal import Principal
from wenze.events import (
    AppealDecided,
    AppealFiled,
    ConsultationConcluded,
    ConsultationRequested,
    DeadlineDue,
    DeadlineMissed,
    DecisionMade,
    Event,
    ExecutionCompleted,
    ExecutionOpened,
    MatterAccepted,
    MatterReceived,
    MatterRejected,
    MatterRouted,
    NoticeFailed,
    NoticeSent,
    StepRecorded,
    TargetsIdentified,
)
from wenze.problems import NotFound
from wenze.rules import RulePack, get_pack
from wenze_reporting.progress.models import MatterProgress, TimelineEntry
from wenze_reporting.progress.repository import ProgressRepository
from wenze_reporting.progress.schemas import (
    OfficeRef,
    ProgressList,
    ProgressRead,
    ProgressSummary,
    TimelineEntryRead,
)
from wenze_reporting.reports.service import ReportService, measure_label, office_label, source_label
from wenze_reporting.repositories import ReportingUnitOfWorkFactory

# The stages a matter passes through, in the order of the procedure: the platform's own names
# for the steps the packs' workflows chain (受理, 分办, 会商, 审查, 会审, 审批, 决定, 执行, 申诉).
STAGES: Final[dict[str, str]] = {
    "received": "已登记",
    "accepted": "已受理",
    "rejected": "不予受理或已移送",
    "consultation": "分办会商中",
    "awaiting_handler": "待定承办部门",
    "routed": "已分办",
    "start_approval": "启动审批中",
    "investigating": "调查核实中",
    "reclassified": "转入审查调查",
    "recommendation": "提出初步问责建议",
    "joint_review": "会审中",
    "approvals": "审批中",
    "hearing": "听取陈述申辩",
    "decided": "已作出问责决定",
    "execution": "执行中",
    "executed": "执行完毕",
    "appeal": "申诉处理中",
    "appeal_decided": "申诉已处理",
}
RANK: Final = {stage: index for index, stage in enumerate(STAGES)}

SERVICES: Final = {
    "intake": "受理",
    "routing": "分办",
    "review": "审查",
    "sanction-execution": "执行",
    "notification": "通知",
}
DELIBERATIONS: Final = {"consultation": "分办会商", "joint_review": "初步问责建议会审"}
DELIBERATION_STEPS: Final = {
    "opened": "开始",
    "signed": "签署意见",
    "approved": "审批同意",
    "concluded": "形成结论",
    "deadlocked": "未形成一致意见",
    "escalated": "提请上一级决定",
    "escalation_decided": "上一级作出决定",
    "escalation_returned": "上一级退回重议",
    "superseded": "因改定承办部门不再进行",
}
CASE_STEPS: Final = {
    "case_opened": "建立审查案件",
    "start_approved": "启动审查审批同意",
    "findings_recorded": "记录调查核实情况",
    "recommendation_recorded": "提出初步问责建议",
    "decision_stage_opened": "进入审批决定环节",
    "decision_approved": "问责决定审批同意",
    "hearing_recorded": "听取陈述和申辩",
    "decision_made": "记录问责决定",
    "decision_copied": "抄送问责决定",
}
TASK_STEPS: Final = {"task_claimed": "领办任务", "task_reassigned": "转交任务", "task_released": "退回任务"}
REJECTIONS: Final = {"not_accepted": "不予受理", "transferred": "移送"}
EXECUTION_OUTCOMES: Final = {"carried_out": "执行完毕", "revoked": "因申诉撤销"}
APPEAL_OUTCOMES: Final = {"upheld": "维持原决定", "varied": "变更原决定", "revoked": "撤销原决定"}
CHANNELS: Final = {"email": "电子邮件", "webhook": "系统推送"}


class MatterProgressNotFound(NotFound):
    slug = "matter-not-found"
    title = "Matter not found"


@dataclass
class Entry:
    """What one event says of its matter, before it is stored."""

    label: str
    stage: str | None = None
    office: str | None = None
    holders: list[str] = field(default_factory=list)
    subject_id: str | None = None
    action: str | None = None
    citations: list[str] = field(default_factory=list)


def _offices(pack: RulePack, codes: Iterable[str | None]) -> str:
    return "、".join(office_label(pack, code) for code in codes if code)


def _review_step(pack: RulePack, event: StepRecorded) -> Entry:
    """Review's timeline action in words, and the stage the case's state puts the matter in."""
    action, office = event.action, event.office
    holders = [office] if office else []
    if event.kind in DELIBERATIONS:
        kind = DELIBERATIONS[event.kind]
        step = action.removeprefix(f"{event.kind}_")
        words = DELIBERATION_STEPS.get(step) or DELIBERATION_STEPS.get(step.rsplit("_", 1)[0], "记录")
        if event.kind == "consultation" and action == "consultation_not_opened":
            return Entry(label="分办会商未开启：事项已分办", office=office, action=action)
        opens = {"consultation_opened": "consultation", "joint_review_opened": "joint_review"}.get(action)
        # A consultation is held by every office routing's request named; review's step of
        # opening it names only its lead, so it leaves the holders as the request set them.
        named = holders if opens == "joint_review" else []
        return Entry(label=f"{kind}{words}", stage=opens, office=office, holders=named, action=action)
    if event.kind == "task":
        return Entry(label=TASK_STEPS.get(action, "处理任务"), office=office, action=action)
    stage: str | None = None
    match action, event.case_state:
        case "case_opened" | "start_approved", "awaiting_start_approval":
            stage = "start_approval"
        case "case_opened" | "start_approved", "investigating":
            stage = "investigating"
        case "findings_recorded", "reclassified":
            stage = "reclassified"
        case "findings_recorded" | "recommendation_recorded", _:
            stage = "recommendation"
        case "decision_stage_opened" | "decision_approved", _:
            stage = "approvals"
        case "hearing_recorded", _:
            stage = "hearing"
    return Entry(
        label=CASE_STEPS.get(action, "审查环节记录"),
        stage=stage,
        office=office,
        holders=holders,
        subject_id=str(event.subject_id) if event.subject_id else None,
        action=action,
    )


def describe(pack: RulePack, event: Event) -> Entry:
    """The timeline entry of ``event``: its words, the stage it brings, who holds the matter after it."""
    match event:
        case MatterReceived():
            return Entry(
                label=f"登记问责事项{event.number}（来源：{source_label(pack, event.source)}）", stage="received"
            )
        case MatterAccepted():
            # ``accepted_by`` names the user who accepted, not an office: nobody holds the matter
            # until routing names its offices.
            return Entry(label=f"受理问责事项{event.number}", stage="accepted")
        case MatterRejected():
            words = REJECTIONS[event.outcome]
            if event.transferred_to:
                words += f"至{event.transferred_to}"
            return Entry(label=f"问责事项{words}", stage="rejected", office=event.decided_by)
        case ConsultationRequested():
            parties = [event.lead, *event.participants]
            return Entry(
                label=f"分办前须会商（{event.slip_number}）：{_offices(pack, parties)}",
                stage="consultation",
                office=event.lead,
                holders=[p for p in dict.fromkeys(parties) if p],
                subject_id=str(event.slip_id),
                citations=list(event.citations),
            )
        case MatterRouted():
            if event.handler is None:
                return Entry(
                    label=f"分办单{event.slip_number}：规则未确定承办部门",
                    stage="awaiting_handler",
                    subject_id=str(event.slip_id),
                    citations=list(event.citations),
                )
            words = f"分办至{office_label(pack, event.handler)}（{event.slip_number}）"
            if event.cc:
                words += f"，抄送{_offices(pack, event.cc)}"
            return Entry(
                label=words,
                stage="routed",
                office=event.handler,
                holders=[event.handler],
                subject_id=str(event.slip_id),
                citations=list(event.citations),
            )
        case ConsultationConcluded():
            return Entry(
                label=f"会商结论：由{office_label(pack, event.handler)}承办",
                office=event.handler,
                subject_id=str(event.slip_id),
            )
        case TargetsIdentified():
            return Entry(label=f"查明问责对象{len(event.targets)}个", subject_id=str(event.investigation_id))
        case StepRecorded():
            entry = _review_step(pack, event)
            entry.citations = list(event.citations)
            return entry
        case DecisionMade():
            measures = "、".join(
                dict.fromkeys(measure_label(pack, m) for decided in event.measures for m in decided.measures)
            )
            return Entry(
                label=f"{office_label(pack, event.decided_by)}作出问责决定{event.number}：{measures or '无'}",
                stage="decided",
                office=event.decided_by,
                holders=[event.decided_by],
                subject_id=str(event.decision_id),
                citations=list(event.citations),
            )
        case ExecutionOpened():
            return Entry(
                label=f"开始执行：{measure_label(pack, event.measure)}（{office_label(pack, event.office)}）",
                stage="execution",
                office=event.office,
                holders=[event.office],
                subject_id=str(event.execution_id),
                citations=list(event.citations),
            )
        case ExecutionCompleted():
            return Entry(
                label=f"执行结束：{EXECUTION_OUTCOMES[event.outcome]}",
                stage="executed",
                subject_id=str(event.execution_id),
            )
        case DeadlineDue() | DeadlineMissed():
            when = "即将到期" if isinstance(event, DeadlineDue) else "已逾期"
            return Entry(
                label=f"{event.label}{when}（期限{event.due_on.isoformat()}，{office_label(pack, event.office)}）",
                office=event.office,
                subject_id=str(event.deadline_id),
                citations=list(event.citations),
            )
        case AppealFiled():
            return Entry(
                label=f"提出申诉，由{office_label(pack, event.heard_by)}处理",
                stage="appeal",
                office=event.heard_by,
                holders=[event.heard_by],
                subject_id=str(event.appeal_id),
                citations=list(event.citations),
            )
        case AppealDecided():
            return Entry(
                label=f"申诉处理结果：{APPEAL_OUTCOMES[event.outcome]}",
                stage="appeal_decided",
                subject_id=str(event.appeal_id),
                citations=list(event.citations),
            )
        case NoticeSent() | NoticeFailed():
            channel = CHANNELS.get(event.channel, event.channel)
            words = "已送达" if isinstance(event, NoticeSent) else "发送失败，待重新发送"
            return Entry(label=f"通知（{channel}）{words}", subject_id=str(event.notice_id))
    raise TypeError(f"reporting has no timeline entry for {type(event).__name__}")


def timeline_row(pack: RulePack, event: Event) -> dict[str, Any]:
    entry = describe(pack, event)
    return {
        "tenant": event.tenant,
        "event_id": str(event.event_id),
        "matter_id": str(event.matter_id),
        "occurred_at": event.occurred_at,
        "service": event.service,
        "event": event.type_name(),
        "action": entry.action,
        "stage": entry.stage,
        "office": entry.office,
        "holders": list(dict.fromkeys(entry.holders)),
        "subject_id": entry.subject_id,
        "label": entry.label,
        "citations": entry.citations,
    }


class Described(Protocol):
    """What a progress row copies of the ledger's matter."""

    number: str | None
    summary: str | None


class Staged(Protocol):
    """What a matter's progress is computed from, of each of its timeline entries."""

    event_id: str
    occurred_at: dt.datetime
    stage: str | None
    holders: list[str]
    subject_id: str | None


def _order(entry: Staged) -> tuple[dt.datetime, int, str]:
    return (entry.occurred_at, RANK.get(entry.stage or "", -1), entry.event_id)


def progress_of(
    tenant: str, matter_id: str, entries: Sequence[Staged], matter: Described | None
) -> tuple[dict[str, Any], list[str]]:
    """The matter's progress row and the offices holding it, from every entry seen of it."""
    ordered = sorted(entries, key=_order)
    staged = [e for e in ordered if e.stage]
    current = staged[-1] if staged else None
    stage = current.stage if current else None
    if stage == "executed":
        opened = {e.subject_id for e in ordered if e.stage == "execution"}
        completed = {e.subject_id for e in ordered if e.stage == "executed"}
        if opened - completed:
            # One measure carried out while another still runs: the matter is still in execution.
            stage = "execution"
    # Since the first entry of the latest run of entries in this stage.
    since = None
    for entry in reversed(staged):
        if entry.stage != (current.stage if current else None):
            break
        since = entry.occurred_at
    holders: list[str] = []
    for entry in reversed(staged):
        if entry.holders:
            holders = list(entry.holders)
            break
    row = {
        "tenant": tenant,
        "matter_id": matter_id,
        "number": matter.number if matter else None,
        "summary": matter.summary if matter else None,
        "stage": stage,
        "stage_since": since,
        "last_event_at": ordered[-1].occurred_at,
        "events": len(ordered),
    }
    return row, holders


class ProgressProjection:
    """Writes the timeline and the matters' progress as the ledger applies a batch of events."""

    async def project(
        self,
        repository: ProgressRepository,
        pack: RulePack,
        tenant: str,
        events: Sequence[Event],
        matters: Mapping[str, Described],
    ) -> None:
        await repository.add_entries([timeline_row(pack, event) for event in events])
        touched = sorted({str(event.matter_id) for event in events})
        entries = await repository.stages(tenant, touched)
        rows, holders = [], {}
        for matter_id in touched:
            row, offices = progress_of(tenant, matter_id, entries.get(matter_id, []), matters.get(matter_id))
            rows.append(row)
            holders[matter_id] = offices
        await repository.put_progress(tenant, rows, holders)


class ProgressService:
    def __init__(
        self,
        uow: ReportingUnitOfWorkFactory,
        reports: ReportService,
        *,
        packs: Callable[[str], RulePack] = get_pack,
    ):
        self.uow = uow
        self.reports = reports
        self.packs = packs

    async def matter(self, principal: Principal, matter_id: str) -> ProgressRead:
        try:
            uuid.UUID(matter_id)
        except ValueError:
            # Not echoed: the path may hold anything, of any length.
            raise MatterProgressNotFound("no matter has the id in the path, which is not a UUID") from None
        pack = self.packs(principal.tenant)
        visibility, _ = self.reports.visibility(principal, pack)
        async with self.uow() as uow:
            found = await uow.repos.progress.progress(principal.tenant, matter_id, visibility)
            if found is None:
                raise MatterProgressNotFound(f"no matter {matter_id} in this tenant")
            progress, holders = found
            entries = (await uow.repos.progress.entries(principal.tenant, [matter_id])).get(matter_id, [])
            summary = _summary(pack, progress, holders)
            timeline = [_entry(pack, e) for e in sorted(entries, key=_order)]
        return ProgressRead(**summary.model_dump(), timeline=timeline)

    async def matters(
        self, principal: Principal, *, office: str | None, stage: str | None, limit: int, offset: int
    ) -> ProgressList:
        pack = self.packs(principal.tenant)
        visibility, scope = self.reports.visibility(principal, pack)
        async with self.uow() as uow:
            total, page = await uow.repos.progress.page(
                principal.tenant, visibility, office=office, stage=stage, limit=limit, offset=offset
            )
            matters = [_summary(pack, progress, holders) for progress, holders in page]
        return ProgressList(scope=scope, total=total, limit=limit, offset=offset, matters=matters)


def _refs(pack: RulePack, codes: Iterable[str]) -> list[OfficeRef]:
    return [OfficeRef(code=code, label=office_label(pack, code)) for code in codes]


def _summary(pack: RulePack, progress: MatterProgress, holders: Sequence[str]) -> ProgressSummary:
    tz = pack.time_zone
    return ProgressSummary(
        matter_id=progress.matter_id,
        number=progress.number,
        summary=progress.summary,
        stage=progress.stage,
        stage_label=STAGES.get(progress.stage or "", "尚无进展"),
        stage_since=progress.stage_since.astimezone(tz) if progress.stage_since else None,
        offices=_refs(pack, holders),
        last_event_at=progress.last_event_at.astimezone(tz),
        events=progress.events,
    )


def _entry(pack: RulePack, entry: TimelineEntry) -> TimelineEntryRead:
    return TimelineEntryRead(
        at=entry.occurred_at.astimezone(pack.time_zone),
        service=entry.service,
        service_label=SERVICES.get(entry.service, entry.service),
        event=entry.event,
        action=entry.action,
        label=entry.label,
        stage=entry.stage,
        stage_label=STAGES[entry.stage] if entry.stage else None,
        office=_refs(pack, [entry.office])[0] if entry.office else None,
        citations=list(entry.citations),
    )
