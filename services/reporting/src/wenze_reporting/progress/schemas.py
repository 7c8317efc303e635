from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal[
    "received",
    "accepted",
    "rejected",
    "consultation",
    "awaiting_handler",
    "routed",
    "start_approval",
    "investigating",
    "reclassified",
    "recommendation",
    "joint_review",
    "approvals",
    "hearing",
    "decided",
    "execution",
    "executed",
    "appeal",
    "appeal_decided",
]


class OfficeRef(BaseModel):
    code: str
    label: str = Field(description="the office's or body's name in the tenant's pack")


class TimelineEntryRead(BaseModel):
    at: dt.datetime = Field(description="when the producing service recorded it, in the tenant's time zone")
    service: str
    service_label: str
    event: str = Field(description="the event contract, e.g. matter.accepted, timeline.recorded")
    action: str | None = Field(description="review's step, where the entry is one")
    label: str = Field(description="what happened, in words")
    stage: str | None = Field(description="the stage the matter entered with it, if it moved")
    stage_label: str | None
    office: OfficeRef | None = Field(description="the office that acted")
    citations: list[str] = Field(description="the articles the step rests on (document number and article)")


class ProgressSummary(BaseModel):
    matter_id: str
    number: str | None
    summary: str | None
    stage: str | None
    stage_label: str
    stage_since: dt.datetime | None
    offices: list[OfficeRef] = Field(description="the offices holding the matter now")
    last_event_at: dt.datetime
    events: int = Field(description="how many events of the matter reporting has seen")


class ProgressRead(ProgressSummary):
    """Where the matter is now across every service, and every event seen of it, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "matter_id": "0f6f4a4e-8a57-4a8e-9c53-1f7e0c2f5a10",
                    "number": "KS-2026-00002",
                    "summary": "某镇环境整治工作推进不力",
                    "stage": "joint_review",
                    "stage_label": "会审中",
                    "stage_since": "2026-03-10T09:30:00+08:00",
                    "offices": [{"code": "case_trial_office", "label": "案件审理室"}],
                    "last_event_at": "2026-03-10T09:30:00+08:00",
                    "events": 9,
                    "timeline": [
                        {
                            "at": "2026-03-02T10:00:00+08:00",
                            "service": "intake",
                            "service_label": "受理",
                            "event": "matter.received",
                            "action": None,
                            "label": "登记问责事项KS-2026-00002（来源：市委巡察机构等移送）",
                            "stage": "received",
                            "stage_label": "已登记",
                            "office": None,
                            "citations": [],
                        },
                        {
                            "at": "2026-03-10T09:30:00+08:00",
                            "service": "review",
                            "service_label": "审查",
                            "event": "timeline.recorded",
                            "action": "joint_review_opened",
                            "label": "初步问责建议会审开始",
                            "stage": "joint_review",
                            "stage_label": "会审中",
                            "office": {"code": "case_trial_office", "label": "案件审理室"},
                            "citations": ["昆纪办发〔2019〕19号 四.2"],
                        },
                    ],
                }
            ]
        }
    )

    timeline: list[TimelineEntryRead]


class ProgressList(BaseModel):
    """A page of the matters the caller may read, the most recently moved first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scope": "执纪监督室可见的问责事项",
                    "total": 1,
                    "limit": 50,
                    "offset": 0,
                    "matters": [
                        {
                            "matter_id": "0f6f4a4e-8a57-4a8e-9c53-1f7e0c2f5a10",
                            "number": "KS-2026-00002",
                            "summary": "某镇环境整治工作推进不力",
                            "stage": "execution",
                            "stage_label": "执行中",
                            "stage_since": "2026-03-21T15:00:00+08:00",
                            "offices": [{"code": "discipline_supervision_office", "label": "执纪监督室"}],
                            "last_event_at": "2026-03-22T09:00:00+08:00",
                            "events": 24,
                        }
                    ],
                }
            ]
        }
    )

    scope: str = Field(description="whose view: the whole tenant, or the matters the caller's office may read")
    total: int
    limit: int
    offset: int
    matters: list[ProgressSummary]
