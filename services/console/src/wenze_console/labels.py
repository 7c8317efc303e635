"""Words for what the platform itself names (task kinds, states); what a tenant names (offices,
sources, measures…) comes from its rule pack."""

from __future__ import annotations

from typing import Any

from wenze.rules.pack import RulePack

TASK_KINDS = {
    "consultation_signature": "会商签署",
    "consultation_approval": "会商审批",
    "joint_review_signature": "会审签署",
    "joint_review_approval": "会审审批",
    "start_approval": "立案（启动）审批",
    "decision_approval": "问责决定审批",
    "investigation": "调查",
    "recommendation": "提出处理建议",
    "hearing": "听取陈述申辩",
    "decision": "作出问责决定",
}
STATES = {
    # intake
    "received": "已登记",
    "accepted": "已受理",
    "not_accepted": "不予受理",
    "transferred": "已移送",
    # routing
    "in_consultation": "会商中",
    "routed": "已分办",
    "awaiting_handler": "待确定承办部门",
    "reclassified": "已重新分类",
    # review
    "awaiting_start_approval": "待审批启动",
    "investigating": "调查中",
    "recommending": "待提出处理建议",
    "joint_review": "会审中",
    "deciding": "待作出决定",
    "decided": "已作出决定",
    # tasks and import jobs
    "open": "待办",
    "done": "已办结",
    "cancelled": "已撤销",
    "queued": "排队中",
    "running": "导入中",
    "completed": "已完成",
    "failed": "失败",
}
# Timeline actions of intake and review; a deliberation's actions are named after its kind.
_DELIBERATION_ACTIONS = {
    "opened": "发起",
    "signed": "签署",
    "approved": "审批同意",
    "concluded": "办结",
    "deadlocked": "意见不一致",
    "escalated": "提请上级",
    "superseded": "被新会商取代",
}
_DELIBERATIONS = {"consultation": "会商", "joint_review": "会审"}
ACTIONS = {
    "received": "登记",
    "acceptance_decided": "受理研究",
    "case_opened": "进入审理",
    "start_approved": "启动审批同意",
    "decision_approved": "决定审批同意",
    "findings_recorded": "记录调查结果",
    "recommendation_recorded": "提出处理建议",
    "decision_stage_opened": "进入决定程序",
    "hearing_recorded": "听取陈述申辩",
    "decision_made": "作出问责决定",
    "decision_copied": "决定抄送",
    "consultation_not_opened": "无需会商",
    "task_claimed": "认领待办",
    "task_reassigned": "转交待办",
    **{
        f"{kind}_{action}": f"{kind_label}{action_label}"
        for kind, kind_label in _DELIBERATIONS.items()
        for action, action_label in _DELIBERATION_ACTIONS.items()
    },
}


def action_label(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    for kind, kind_label in _DELIBERATIONS.items():
        if action.startswith(f"{kind}_escalation_"):
            return f"{kind_label}提级处理"
    return action


LIGHTS = {"green": "正常", "yellow": "临期", "red": "逾期"}
OPINIONS = {"agree": "同意", "other": "另提承办部门"}


def pack_label(pack: RulePack, vocabularies: tuple[str, ...], code: Any) -> str:
    """The pack's label for ``code`` in the first of ``vocabularies`` that knows it."""
    text = str(code)
    for vocabulary in vocabularies:
        label = pack.vocabulary.get(vocabulary, {}).get(text)
        if label:
            return label
    return text


def office_label(pack: RulePack, code: Any) -> str:
    return pack_label(pack, ("offices", "bodies"), code)
