"""Words for what the platform itself names (task kinds, states); what a tenant names (offices,
sources, measures…) comes from its rule pack. Sanction-execution's words are the CLI's too
(``wenze.cli.labels``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from wenze.cli.labels import (  # noqa: F401  (re-exported: the templates use them)
    DEADLINE_STATES,
    EXECUTION_STATES,
    LIGHTS,
    readings_shown,
)
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


# The facts and outcomes the packs' decisions name (their inputs and outputs): the decisions'
# vocabulary is the platform's, shared by every pack, so their words live here; a pack's
# ``matter_fields`` label, where it has one, takes precedence.
FACTS = {
    # inputs
    "accountability_needed": "经调查需要问责",
    "aggravating": "从重情节",
    "appeal_lodged": "已提出申诉",
    "appointment_failure_serious_consequences": "选人用人失察且造成严重后果",
    "cadre_level": "干部层级",
    "cadre_levels": "对象的干部层级",
    "caused_error_or_harm": "造成工作失误或不良后果",
    "circumstances": "问责情形",
    "cluster_leaders_removed_count": "窝案中被撤职的领导干部人数",
    "collective_decision": "属领导班子集体决策",
    "decided_forms": "已决定的问责形态",
    "decided_on": "决定日期",
    "duty_failure": "履职失职的方式",
    "duty_holder": "责任主体",
    "facts_clear": "事实清楚",
    "failures": "监督失职情形",
    "fault_tolerance": "符合容错纠错情形",
    "half_year_start": "半年起始日",
    "handler": "承办部门",
    "impaired_objectivity": "影响工作客观公正或正常开展",
    "in_discipline_inspection_system": "属纪检监察系统干部职工",
    "inspection_group_finding": "巡察组在巡察中发现",
    "inspection_kind": "巡察类别",
    "involvement": "参与程度",
    "key_supervised": "重点督办",
    "last_accountability_on": "上次被问责日期",
    "leading_cadre": "属党政领导干部",
    "leading_group_direct": "领导小组直接组织调查",
    "level_count": "涉及层级数",
    "major_case_or_persistent_malpractice": "重大案件或长期存在的顽瘴痼疾",
    "major_cases": "本地区重大案件",
    "major_cases_in_year_count": "年度内重大案件数",
    "major_loss_or_serious_impact": "造成重大损失或严重影响",
    "major_problem_found": "发现重大问题",
    "managed_by_lower_committee": "由下级党委管理",
    "matter_forms": "事项的建议问责形态",
    "measure": "问责措施",
    "measures": "问责措施",
    "members_removed_in_year_count": "年度内被撤职的班子成员人数",
    "mitigating": "从轻情节",
    "month_start": "统计月份首日",
    "multiple_parties": "涉及多个地方、部门或层级",
    "no_effective_measures": "未采取有效措施",
    "occurred_on": "发生日期",
    "organisation_level": "党组织层级",
    "organisation_levels": "党组织层级",
    "organisational_measures": "组织处理措施",
    "other_leadership_responsibility": "另有应追究领导责任的情形",
    "own_fault": "因本人原因",
    "party_member": "是否党员",
    "party_sanctions": "党纪处分情况",
    "place_count": "涉及地方或部门数",
    "prior_accountabilities": "前一年内被问责次数",
    "proposed_forms": "建议的问责形态",
    "proposed_measures": "建议的问责措施",
    "received_on": "收到决定日期",
    "recorded_dissent": "曾明确表示反对并记录在案",
    "role": "在决策中的角色",
    "sanction_effect_until": "处分影响期截止日",
    "sector": "所属领域",
    "serious_political_or_organisational_case": "严重违反政治纪律或组织纪律",
    "severity": "情节",
    "source": "线索来源",
    "special_rules_apply": "另有专门规定",
    "subject_kind": "问责主体类别",
    "suspected_illegality": "涉嫌违法",
    "target_class": "对象类别",
    "target_count": "问责对象人数",
    "target_kind": "对象类别",
    "target_kinds": "对象类别",
    "verified": "线索已核实",
    "with_sanction": "同时给予党纪政务处分",
    "within_authority": "属本单位管理权限",
    "within_portfolio": "属分管范围",
    "year_start": "年度起始日",
    # outputs
    "acceptance_approved_by": "受理审批",
    "accepted": "予以受理",
    "accountability_mode": "问责方式",
    "accountable": "应当问责",
    "accountable_conduct": "属问责情形",
    "accountable_for_not_supporting": "因不支持而被问责",
    "action": "启动方式",
    "adjustments": "从轻从重调整",
    "aggravation_required": "应当从重",
    "analysed_by": "分析部门",
    "analysis_interval_months": "分析间隔（月）",
    "announced_to_person": "向本人宣布",
    "appeal_allowed": "可以申诉",
    "appeal_until": "申诉期限",
    "applicability": "适用情况",
    "applicable": "适用组织处理程序",
    "application": "适用方式",
    "approval_by": "审批",
    "approval_sequence": "审批顺序",
    "approved_by": "审批",
    "band": "档次",
    "basis_established": "问责依据成立",
    "by_cadre_authority": "按干部管理权限办理",
    "carried_out_by": "执行部门",
    "carried_out_within_cadre_authority": "按干部管理权限执行",
    "case_library_due": "入库期限",
    "catalogue": "可据以问责的情形",
    "cc": "抄送",
    "central_registration": "统一登记管理",
    "channel_recognised": "线索渠道有效",
    "checked_by": "核查",
    "collective_study": "集体研究",
    "combination_allowed": "可以合并适用",
    "consultation_escalation": "会商提级",
    "consultation_lead": "会商牵头部门",
    "consultation_participants": "会商参加部门",
    "consultation_required": "需要会商",
    "consultation_signed_by_each": "各部门分别签署会商意见",
    "coordinated_by": "协调部门",
    "copy_decision_due": "决定抄送期限",
    "copy_due": "抄送期限",
    "copy_to": "抄送",
    "correction_required": "应当纠正",
    "county_procedure": "适用县纪委程序",
    "decided_by": "决定",
    "direct_handling_by": "可直接调查处理的单位",
    "direct_pursuit_by": "直接追责",
    "direct_pursuit_possible": "上级可直接追责",
    "dual_investigation": "一案双查",
    "duties": "职责",
    "duty_holder_mismatch": "情形不属该责任主体",
    "duty_holders": "责任主体",
    "effect_until": "影响期截止",
    "established": "认定的情形",
    "exemption_possible": "可以免责",
    "explanation_required": "应当及时说明",
    "families": "情形类别",
    "feedback_by": "反馈部门",
    "feedback_to": "反馈对象",
    "filed_with": "备案",
    "formalities_due": "手续办理期限",
    "full_procedure_required": "适用一般程序",
    "grounds": "问责依据情形",
    "group_collectively_accountable": "班子集体问责",
    "guided_by": "指导部门",
    "half_year_analysis_due": "半年分析期限",
    "half_year_analysis_prompted_by": "半年分析督促部门",
    "handled_by": "办理部门",
    "handler_by_consultation": "经会商确定承办部门",
    "handler_candidates": "可能的承办部门",
    "handling_proposed_by": "提出办理意见的部门",
    "heard_by": "听取陈述申辩",
    "hearing_required": "须听取陈述申辩",
    "implemented_by": "落实部门",
    "in_scope": "属适用范围",
    "in_writing": "书面形式",
    "investigated_by": "调查部门",
    "investigated_with": "联合调查部门",
    "joint_investigation": "联合调查",
    "joint_review_escalation": "会审提级",
    "joint_review_lead": "会审牵头部门",
    "joint_review_participants": "会审参加部门",
    "joint_review_required": "需要会审",
    "joint_review_signed_by_each": "各部门分别签署会审意见",
    "leadership_responsibility": "领导责任",
    "leading_group_direct_allowed": "领导小组可直接组织调查",
    "led_by": "牵头",
    "loses_honours_eligibility": "不得参加评优评先",
    "loses_promotion_eligibility": "不得提拔",
    "major_matter_failure": "重大事项失职情形",
    "may_combine": "可以合并适用",
    "measures_followed_up_by": "措施跟踪落实部门",
    "measures_per": "措施依据",
    "measures_required": "须列明问责措施",
    "mitigation_possible": "可以从轻或减轻",
    "monthly_figures_by": "月报报送部门",
    "monthly_figures_due": "月报报送期限",
    "monthly_figures_to": "月报报送对象",
    "monthly_summary_due": "月末汇总期限",
    "monthly_summary_to": "月末汇总报送对象",
    "no_appraisal_honours_this_year": "当年不得评优评先",
    "no_equivalent_post_until": "不得担任相当职务至",
    "no_promotion_until": "不得提拔至",
    "obligatory": "应当（而非可以）",
    "options": "可选启动方式",
    "organisational_measures_as_needed": "可视情况同时给予组织处理",
    "per_party_rules": "按党内法规办理",
    "period_ends": "期间截止",
    "period_set_by": "影响期依据",
    "permitted_adjustments": "可以适用的调整",
    "permitted_measures": "可以适用的问责措施",
    "personal_file_via": "归入个人档案",
    "prior_approval_by": "事先审核同意",
    "prior_collective_study": "事先集体研究",
    "proceeds_to_decision": "进入决定程序",
    "proposal_to": "建议报送对象",
    "proposal_valid": "建议有效",
    "proposed_by": "提出",
    "proposes_acceptance_opinion": "提出受理意见",
    "pursue": "追究",
    "pursue_responsible_leaders": "追究相关领导责任",
    "pursued": "予以追究",
    "received_by": "受理部门",
    "recidivism": "屡犯",
    "reclassify_after_investigation": "调查后转入审查调查",
    "recommendation_to": "建议报送对象",
    "record_in_integrity_file": "记入廉政档案",
    "reminder_lead_days": "提前提醒天数",
    "repeated_within_year": "一年内再次被问责",
    "report_promptly": "及时报告",
    "required_adjustments": "应当适用的调整",
    "responsibilities": "责任",
    "responsibility": "责任",
    "responsibility_kind": "责任类型",
    "responsibility_scope": "责任范围",
    "responsibility_type": "责任性质",
    "responsible_subject": "属责任主体",
    "result_reported_to": "结果报告对象",
    "results_use_per": "结果运用依据",
    "review_conclusion_required": "须作出审理结论",
    "reviewed_by": "审理部门",
    "route_whole_matter": "全案统一分办",
    "routing_approved_by": "分办审批",
    "sanction": "给予党纪政务处分",
    "sanction_effects_per_own_rules": "处分影响期按其规定",
    "self_criticism_at": "作检查的场合",
    "self_criticism_reported_to": "检查报送对象",
    "served_on": "送达",
    "simplified_allowed": "可适用简易程序",
    "start_approved_by": "启动审批",
    "started_by": "启动部门",
    "steps": "步骤",
    "still_pursued": "仍予追究",
    "studied_by": "研究部门",
    "study_promptly": "及时研究",
    "subject_role": "主体角色",
    "supervised_by": "监督部门",
    "suspends_execution": "停止执行",
    "trace_back": "倒查责任",
    "transfer_required": "应当移送",
    "transfer_to": "移送",
    "transferred_by": "移送部门",
    "triggers": "一案双查触发情形",
    "used_in_appraisal_and_selection": "作为考核和选拔任用依据",
    "verification_required": "需要核实",
    "within_cadre_authority": "属干部管理权限",
    "within_scope": "属适用范围",
    "written_decision": "书面决定",
}


def fact_label(pack: RulePack, name: str) -> str:
    """A decision's input or output in words: the pack's field label, else the platform's."""
    label = pack.vocabulary.get("matter_fields", {}).get(name)
    return label or FACTS.get(name, name)


# The decisions the packs make, by their platform names.
DECISIONS = {
    "acceptance": "受理",
    "after_effects": "问责影响期",
    "appeal": "申诉",
    "appeal_deadline": "申诉期限",
    "circumstances": "问责情形",
    "conduct_acceptance": "作风问责：受理",
    "conduct_after_effects": "作风问责：影响期",
    "conduct_circumstances": "作风问责：问责情形",
    "conduct_decision_body": "作风问责：决定机关",
    "conduct_factors": "作风问责：从轻从重情节",
    "conduct_investigation": "作风问责：调查",
    "conduct_joint_review": "作风问责：会审",
    "conduct_measures": "作风问责：问责措施",
    "conduct_reporting": "作风问责：统计报送",
    "conduct_scope": "作风问责：适用范围",
    "conduct_simplified_procedure": "作风问责：简易程序",
    "decision": "问责决定",
    "execution": "决定执行",
    "factors": "从轻从重情节",
    "handling": "办理",
    "implementation": "落实",
    "intake": "线索受理",
    "joint_review": "会审",
    "matter_routing": "事项分办",
    "measures": "问责措施",
    "one_case_two_investigations": "一案双查",
    "organisational_measure_procedure": "组织处理程序",
    "organisational_measures": "组织处理措施",
    "oversight": "监督",
    "procedure": "程序",
    "rectification_circumstances": "巡察整改问责：问责情形",
    "rectification_decision_body": "巡察整改问责：决定机关",
    "rectification_measures": "巡察整改问责：问责措施",
    "rectification_scope": "巡察整改问责：适用范围",
    "rectification_start": "巡察整改问责：启动",
    "reporting": "统计报送",
    "responsibility_kind": "责任类型",
    "responsible_subjects": "责任主体",
    "routing": "分办",
    "scope": "适用范围",
}


def decision_label(name: str) -> str:
    return DECISIONS.get(name, name)


def reading_href(pack: RulePack, tenant: str, decision: str | None, on: Any, point: str, reading: str) -> str:
    """Where the reading an outcome was read under is explained: the decision's 判断说明 on the
    outcome's date with that reading chosen, or, where the decision is not known, the point on
    the rules page."""
    if decision is None or decision not in {d.name for d in pack.decisions()}:
        return f"/t/{tenant}/rules#point-{quote(point, safe='')}"
    query = urlencode({"decision": decision, "on": str(on or ""), f"r.{point}": reading})
    return f"/t/{tenant}/rules/explain?{query}"
