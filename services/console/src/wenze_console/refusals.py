"""What the services refuse, in words the commission's staff read.

The APIs' problem+json is written for integrators, in English. The console shows, for every
problem type of the platform, one Chinese sentence saying what was refused and what to do,
then each field in the form's words with the reason request validation gives (pydantic's
error type, ``errors[].code``). Words the services already give in Chinese (a detail, a
reason) are shown as they are; a problem type this catalogue does not know (a newer service)
is shown in the service's own words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wenze.rules.pack import RulePack
from wenze_console import labels

# Every problem type (its slug, the last part of the type URI). A unit test checks that each
# slug the shared library and the services define is here.
REFUSALS: dict[str, str] = {
    # Requests in general (wenze.problems, wenze.http.problems)
    "internal-error": "系统内部出错，未能办理。请稍后再试；如仍不成功，请联系系统管理员。",
    "bad-request": "请求有误，未能办理。请检查所填内容后重新提交。",
    "malformed-body": "提交的内容无法识别，未能办理。请刷新页面后重新填写提交。",
    "payload-too-large": "提交的内容过大，未能办理。请精简后重新提交。",
    "validation-failed": "填写的内容不符合要求，未能办理。请按下列提示修改后重新提交。",
    "not-found": "没有找到所要办理的对象，或它不在您可查看的范围内。",
    "conflict": "该事项已有变化，与本次操作冲突。请刷新页面后重新办理。",
    "service-unavailable": "后台服务暂时不可用，本次未作任何更改。请稍后再试。",
    "forbidden": "您无权进行这项操作。",
    "method-not-allowed": "不支持这项操作。",
    "not-acceptable": "后台服务无法按所需格式作答，请联系系统管理员。",
    "unsupported-media-type": "提交的内容格式不受支持。",
    "http-error": "后台服务拒绝了该请求。",
    # Signing in and permissions (wenze.auth)
    "unauthenticated": "登录已失效，请重新登录。",
    "invalid-token": "登录凭据无效或已过期，请重新登录。",
    "identity-provider-unavailable": "统一身份认证服务暂时不可用，请稍后再试。",
    "missing-capability": "您没有办理这项事务的权限，如需办理请联系本单位系统管理员。",
    "tenant-user-required": "这项操作只能由本单位的用户办理。",
    "platform-operator-required": "这项操作只能由平台运维人员办理。",
    "step-not-yours": "这一步骤由其他部门办理，或需要您不具备的权限。",
    "outside-authority": "问责对象不在本部门的干部管理权限范围内，不能由本部门办理。",
    "outside-linked-units": "该事项涉及的单位不在本部门联系的范围内，不能由本部门办理。",
    # State changes and resubmissions (wenze.db)
    "state-transition-refused": "事项当前所处的阶段不允许这项操作。请刷新页面查看最新状态。",
    "idempotency-key-reused": "这份表单已用于另一次提交。请刷新页面后重新填写提交。",
    "concurrent-change": "他人刚刚同时更改了该事项。请刷新页面查看后再办理。",
    # Intake (受理登记)
    "matter-not-found": "没有这一问责事项，或它不在您可查看的范围内。",
    "duplicate-matter": "该事项已登记过，无需重复登记。",
    "matter-not-awaiting-acceptance": "该事项已经作出受理研究结果，不能再次受理。",
    "import-job-not-found": "没有这一批量导入，或它不在您可查看的范围内。",
    "import-not-completed": "该批量导入尚未完成，请待导入完成后再办理。",
    "unsupported-import-format": "导入文件的格式不受支持，请使用 CSV、XLSX 或 JSON Lines 文件。",
    "import-beyond-limits": "导入文件超出了导入限制（大小或行数），请拆分后分批导入。",
    "import-file-unreadable": "无法读取导入文件，请检查文件是否完整、格式是否正确。",
    # Notification (通知送达)
    "notice-not-found": "没有这一通知。",
    "delivery-not-found": "没有这一送达记录。",
    "subscription-not-found": "没有这一推送订阅。",
    "contact-not-found": "没有这一联系人。",
    "contact-exists": "该联系人已登记，无需重复添加。",
    "document-kind-unknown": "没有这种文书。",
    "notification-state-refused": "通知当前的状态不允许这项操作。",
    "document-not-ready": "该文书尚不能制发，请待前序步骤完成后再办理。",
    # Reporting (统计报表、典型案例)
    "case-not-found": "没有这一案件，或它不在您可查看的范围内。",
    "case-mark-refused": "该案例当前没有典型标记，无需撤销。",
    "chart-font-missing": "服务器未安装中文字体，暂时无法生成图表，请联系系统管理员。",
    # Review (审查处理)
    "consultation-not-found": "没有这一会商，或它不在您可查看的范围内。",
    "joint-review-not-found": "没有这一会审，或它不在您可查看的范围内。",
    "investigation-not-found": "没有这一调查，或它不在您可查看的范围内。",
    "task-not-found": "没有这一待办，或它已办结。",
    "task-held": "该待办已由他人领办，请与领办人联系。",
    "already-signed": "本部门已签署过，无需重复签署。",
    "already-approved": "已审批过，无需重复审批。",
    "approval-out-of-order": "须待前一级审批完成后才能审批。",
    "wrong-state": "案件当前所处的阶段不允许这项操作。请刷新页面查看最新状态。",
    "refused-by-rules": "按本单位的问责规则，不能这样办理。请对照下列依据修改后重新提交。",
    "rules-cannot-answer": "本单位的规则对这些情况无法作出判断，请核对所填事实和日期。",
    "required-step-missing": "规则要求的前一步骤尚未完成，请先办理该步骤。",
    # Routing and the rules (分办、规则)
    "slip-not-found": "没有这一分办单，或它不在您可查看的范围内。",
    "slip-state-conflict": "分办单当前的状态不允许这项操作。请刷新页面查看最新状态。",
    "interpretation-point-not-found": "本单位的规则包中没有这一解释要点。",
    "interpretation-choice-conflict": "他人刚刚同时选定了这一要点的解读，请刷新页面查看后再办理。",
    "no-rule-pack": "本单位尚未配置问责规则包，请联系系统管理员。",
    "rule-pack-invalid": "本单位的问责规则包有误，暂时无法使用，请联系系统管理员。",
    "unknown-decision": "规则包中没有这一判断事项。",
    "unknown-document": "规则包中没有这一文件。",
    "invalid-facts": "所填的情况不符合该判断事项的要求，请按下列提示修改。",
    "no-rule-matched": "规则中没有适用于所填情况的条款，请核对所填事实。",
    "out-of-period": "所选日期没有施行中的规则可作此判断，请核对日期。",
    "no-rule-text-loaded": "所选日期适用的规则文件尚未录入平台，请联系系统管理员。",
    "calendar-year-missing": "计算期限所需年份的工作日历尚未载入，请联系平台运维人员。",
    "conflicting-outputs": "规则对所填情况得出相互矛盾的结论，请联系规则维护人员。",
    "rules-refused": "规则无法对所填情况作出判断，请核对所填事实。",
    "calendar-unavailable": "工作日历暂时无法读取，请稍后再试。",
    "calendar-year-not-covered": "该年份尚无官方工作日历。",
    "local-days-not-found": "本单位尚未声明该年份的本地休息日或工作日。",
    # Sanction execution (执行)
    "execution-not-found": "没有这一执行记录，或它不在您可查看的范围内。",
    "execution-step-not-found": "没有这一执行步骤。",
    "person-not-found": "没有找到这名人员，或其不在您可查看的范围内。",
    "appeal-not-found": "没有这一复查、申诉。",
    "execution-state-conflict": "执行当前的状态不允许这项操作。请刷新页面查看最新状态。",
    "execution-step-state-conflict": "该执行步骤当前的状态不允许这项操作。",
    "deadline-state-conflict": "该期限当前的状态不允许这项操作。",
    "appeal-state-conflict": "复查、申诉当前的状态不允许这项操作。",
    "appeal-already-filed": "针对这一决定的复查、申诉正在办理中，不能重复提出。",
    "another-offices-deadlines": "这些是其他部门的期限，您只能查看本部门的期限。",
}

# The fields the console's forms send, by their path in the request (``body.`` and list
# positions left out), in the forms' words.
FIELDS: dict[str, str] = {
    # 受理登记
    "source": "来源",
    "source_reference": "来文文号或编号",
    "summary": "事由",
    "facts": "主要事实",
    "targets": "问责对象",
    "targets.kind": "对象类别",
    "targets.name": "姓名或名称",
    "targets.post": "职务",
    "targets.unit": "单位",
    "targets.cadre_level": "干部管理层级",
    "targets.org_level": "党组织层级",
    "targets.sector": "所属领域",
    "targets.party_member": "中共党员",
    "targets.identity_number": "公民身份号码",
    "proposed_form": "拟运用形态",
    "key_supervised": "重点督办",
    "file": "导入文件",
    # 受理
    "outcome": "研究结果",
    "participants": "参加研究人员",
    "study_date": "研究日期",
    "reason": "理由",
    "transferred_to": "移送单位",
    # 会商、会审、审批
    "opinion": "意见",
    "handler": "建议承办部门",
    "text": "意见说明",
    "comment": "审批意见",
    # 调查
    "findings": "调查认定的事实",
    "evidence": "证据",
    "identified_targets": "调查明确的问责对象",
    "identified_targets.kind": "调查明确的问责对象的类别",
    "identified_targets.name": "调查明确的问责对象的姓名或名称",
    "identified_targets.post": "调查明确的问责对象的职务",
    "identified_targets.unit": "调查明确的问责对象的单位",
    "identified_targets.cadre_level": "调查明确的问责对象的干部层级",
    "identified_targets.org_level": "调查明确的问责对象的组织层级",
    "identified_targets.sector": "调查明确的问责对象的所属领域",
    # 处理建议
    "statement": "问责事由",
    "legal_basis": "依据",
    "severity": "情节",
    "circumstances": "情形",
    "proposed_measures": "拟采取的措施",
    # 听取陈述申辩
    "held_on": "听取日期",
    "arguments": "陈述、申辩",
    "arguments.argument": "陈述、申辩理由",
    "arguments.accepted": "是否采纳",
    "arguments.reason": "采纳或不予采纳的理由",
    # 作出决定
    "decided_on": "决定日期",
    "announced_on": "宣布日期",
    "facts_clear": "事实清楚",
    "simplified": "简易程序",
    "measures": "问责措施",
    "measures.measures": "问责措施",
    # 统计报表、典型案例、判断说明
    "year": "年份",
    "month": "月份",
    "on": "据以判断的日期",
}

# Why a field was refused, by pydantic's error type (``errors[].code``) or the rule engine's
# code; ``{n}`` is the limit the service's own reason names.
REASONS: dict[str, str] = {
    "missing": "必须填写",
    "string_too_short": "至少{n}个字",
    "string_too_long": "不得超过{n}个字",
    "too_short": "至少{n}项",
    "too_long": "不得超过{n}项",
    "string_type": "应为文字",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”",
    "date_parsing": "日期格式不正确，应为“年-月-日”（如 2026-05-01）",
    "date_type": "日期格式不正确，应为“年-月-日”（如 2026-05-01）",
    "date_from_datetime_parsing": "日期格式不正确，应为“年-月-日”（如 2026-05-01）",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "datetime_parsing": "时间格式不正确",
    "datetime_type": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "uuid_parsing": "编号格式不正确",
    "uuid_type": "编号格式不正确",
    "enum": "不是可选的取值之一",
    "literal_error": "不是可选的取值之一",
    "greater_than": "应大于{n}",
    "greater_than_equal": "不得小于{n}",
    "less_than": "应小于{n}",
    "less_than_equal": "不得大于{n}",
    "list_type": "应为多项选择",
    "dict_type": "格式不正确",
    "model_type": "格式不正确",
    "model_attributes_type": "格式不正确",
    "extra_forbidden": "不是这项操作可填写的内容",
    "value_error": "取值不符合要求",
    "assertion_error": "取值不符合要求",
    "json_invalid": "内容无法识别",
    # The rule engine's codes (routing's invalid-facts)
    "invalid_facts": "未填写或不符合该项要求",
    "unknown_fact": "不是该判断事项所需的情况",
    "unusable_value": "规则无法使用所填的值",
    # Review's refusals by the rules (refused-by-rules)
    "simplified_procedure_absent": "本单位的问责规则没有简易程序",
    "simplified_procedure_refused": "按规则，此处不适用简易程序",
    "measures_not_permitted": "所提措施不在规则允许的范围内",
    "measures_required": "按规则，对该对象至少应提出一项措施",
    "measures_invalid": "按规则，所提措施对该对象不成立",
    # Review's findings of an investigation
    "identified_targets_required": "按规则，调查明确问责对象后再分类分办：请填写调查明确的问责对象",
    "identified_targets_not_expected": "该事项的问责对象已经明确，调查结果不再填写问责对象",
}

# Review's steps a refusal says are missing (``step`` of required-step-missing).
STEPS = {
    "recommendation": "提出处理建议",
    "joint_review": "会审",
    "hearing": "听取陈述申辩",
    "approval": "审批",
}

_CHINESE = re.compile(r"[\u3400-\u9fff]")
_ENGLISH = re.compile(r"[A-Za-z]{3,}")
_NUMBER = re.compile(r"\d+")
_POSITION = re.compile(r"\.\d+(?=\.|$)")


def slug_of(problem: Mapping[str, Any]) -> str:
    """The problem type's slug: the last part of its type URI."""
    return str(problem.get("type") or "").rstrip("/").rsplit("/", 1)[-1]


def is_chinese(text: str) -> bool:
    """Written in Chinese: an English sentence naming a Chinese article or term is not."""
    return bool(_CHINESE.search(text)) and not _ENGLISH.search(text)


def field_words(field: str, pack: RulePack | None = None) -> str:
    """A field path (``body.targets.0.name``) as the form names it; a fact of the rules by the
    pack's or the platform's words; otherwise the path as the service gave it."""
    path = field.removeprefix("body.").removeprefix("query.")
    if path.startswith("facts.") and pack is not None:
        return labels.fact_label(pack, path.removeprefix("facts."))
    bare = _POSITION.sub("", path)
    return FIELDS.get(bare) or FIELDS.get(bare.rsplit(".", 1)[-1]) or path


def reason_words(code: str, reason: str) -> str | None:
    """The reason in Chinese for a known code, with the limit the service's reason names;
    ``None`` when the code is not known."""
    template = REASONS.get(code)
    if template is None:
        return None
    if "{n}" not in template:
        return template
    limit = _NUMBER.search(reason)
    return template.format(n=limit.group(0)) if limit else REASONS["value_error"]


def extension_words(problem: Mapping[str, Any]) -> list[str]:
    """What some problems add beyond their fields: the articles a refusal rests on, the step
    still missing, the permission needed."""
    words: list[str] = []
    step = problem.get("step")
    if slug_of(problem) == "required-step-missing" and isinstance(step, str):
        words.append(f"尚未完成的步骤：{STEPS.get(step, step)}")
    codes = {item.get("code") for item in problem.get("errors") or [] if isinstance(item, Mapping)}
    if "measures_not_permitted" in codes and isinstance(problem.get("measures"), list):
        refused = [str(m) for m in problem["measures"]]
        outcome = problem.get("outcome")
        permitted = outcome.get("permitted_measures") if isinstance(outcome, Mapping) else None
        if refused:
            words.append("不允许的措施：" + "、".join(refused))
        if isinstance(permitted, list):
            words.append("规则允许的措施：" + ("、".join(str(m) for m in permitted) or "无"))
    capability = problem.get("capability")
    if isinstance(capability, str) and capability:
        words.append(f"所需权限：{capability}")
    citations = [str(c) for c in problem.get("citations") or [] if c]
    if citations:
        words.append("依据：" + "；".join(citations))
    return words
