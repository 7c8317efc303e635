"""What the services refuse, in words the commission's staff read.

The APIs' problem+json is written for integrators, in English. The console shows, for every
problem type of the platform, one Chinese sentence saying what was refused and what to do,
then each field in the form's words with its reason by the reason's code (``errors[].code``:
pydantic's error type for request validation, the service's own code for its refusals).
Words the services already give in Chinese (a detail, a reason) are shown as they are; a
problem type this catalogue does not know (a newer service) is shown in the service's own
words.
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
    "relevant_date": "认定日期",
    "target_identity_number": "问责对象公民身份号码",
    "target_party_member": "问责对象是否中共党员",
    "key_supervised": "重点督办",
    "file": "导入文件",
    "X-Filename": "导入文件的文件名",
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
    # 我的工作：转交待办
    "username": "转交给",
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
    "target_index": "问责对象",
    # 统计报表、典型案例、判断说明
    "year": "年份",
    "month": "月份",
    "half": "半年",
    "start": "起始日期",
    "end": "截止日期",
    "on": "据以判断的日期",
}

# Why a field was refused, by its code (``errors[].code``): pydantic's error type, the rule
# engine's code, or the code a service's own refusal names (``wenze.problems.invalid``; a unit
# test checks that every such code is here). ``{n}`` is the first number the service's own
# reason names (a limit, a row). Shown after the field's words, so a reason need not name it.
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
    # An import's rows that cannot be read (intake's parsers)
    "line_too_long": "该行过长，超出导入限制",
    "value_too_long": "有内容超出导入限制的长度，请精简后重新导入",
    "not_utf8": "不是 UTF-8 编码的文字，请将文件另存为 UTF-8 编码后重新导入",
    "not_a_json_object": "每行应为一个 JSON 对象",
    "targets_not_a_list": "应为问责对象的 JSON 数组",
    "identity_number_as_number_cell": "表格中该列为数字格式，只保留15位数字；请将该列设为文本格式后重新填写",
    # A whole upload or request refused (intake's imports and lists, any idempotent request)
    "not_an_import_format": "不是可导入的文件类型",
    "too_many_rows": "行数超过一次导入的上限",
    "beyond_import_limits": "文件大小或行数超过一次导入的上限",
    "unreadable_xlsx": "不是可读取的 XLSX 工作簿",
    "unprintable_filename": "含有无法显示的字符，请将文件重命名后重新导入",
    "import_not_completed": "该批导入尚未完成",
    "unknown_cursor": "翻页位置无效，请回到第一页",
    "key_reused": "已用于另一次不同的提交",
    # The rule engine's codes (routing's invalid-facts)
    "invalid_facts": "未填写或不符合该项要求",
    "unknown_fact": "不是该判断事项所需的情况",
    "unusable_value": "规则无法使用所填的值",
    "rules_cannot_answer": "规则无法据此作出判断，请补充或更正该项情况",
    # Review's refusals by the rules (refused-by-rules)
    "simplified_procedure_absent": "本单位的问责规则没有简易程序",
    "simplified_procedure_refused": "按规则，此处不适用简易程序",
    "measures_not_permitted": "所提措施不在规则允许的范围内",
    "measures_required": "按规则，对该对象至少应提出一项措施",
    "measures_invalid": "按规则，所提措施对该对象不成立",
    # Review's findings of an investigation
    "identified_targets_required": "按规则，调查明确问责对象后再分类分办：请填写调查明确的问责对象",
    "target_still_unknown": "调查明确的问责对象应为个人或组织",
    "identified_targets_not_expected": "该事项的问责对象已经明确，调查结果不再填写问责对象",
    # The services' own refusals of a field (wenze.problems.invalid)
    "not_a_uuid": "编号格式不正确",
    "unknown_query_parameter": "不是这项查询可用的条件",
    "unknown_office": "不是本单位的部门或机构",
    "unknown_measures": "含有本单位规则未规定的措施",
    "before_decision": "不能早于决定日期",
    "decided_on_in_future": "不能晚于今天，请在作出决定后再登记",
    # Intake: registering and accepting matters
    "relevant_date_in_future": "不能晚于今天",
    "no_rules_on_date": "该日期没有施行中的受理规则，请核对日期",
    "unknown_intake_source": "不是本单位规则规定的来源，请从可选的来源中选择",
    "not_in_vocabulary": "不是本单位规则规定的可选项，请从可选的取值中选择",
    "attachment_not_uploaded": "附件尚未上传，请先上传附件",
    "attachment_size_mismatch": "与已上传的附件大小不符，请重新上传",
    "repeats_earlier_row": "与本文件第{n}行重复（来源和来文文号相同）",
    "already_registered": "该来源和来文文号已经登记过，无需重复登记",
    "reason_required": "不予受理或移送的，须填写理由",
    "transfer_body_required": "移送的，须填写移送单位",
    "study_date_in_future": "不能晚于今天，请在集体研究后再登记",
    # Review: consultations, joint reviews and approvals
    "opinion_text_required": "提出其他意见的，须填写意见说明",
    "joint_review_names_no_handler": "会审不确定承办部门，此处无需填写",
    "no_proposed_handler": "尚无建议的承办部门可供同意，请选择“其他意见”并填写建议的承办部门",
    "agree_names_proposed_handler": "同意的，承办部门即为建议的部门；如建议其他部门，请选择“其他意见”",
    "handler_required": "须填写承办部门",
    "handler_not_a_candidate": "不在可选的承办部门之列",
    "last_level_must_decide": "这是最后一级，必须作出决定，不能以未能达成一致办结",
    # Review: targets, hearings, decisions
    "person_ref_unknown": "不是本案问责对象的人员标识，请改填公民身份号码",
    "identity_number_person_only": "只有个人才填写公民身份号码，该对象不是个人",
    "identity_number_of_another_person": "与该对象原先核实的身份不是同一人；如涉及另一人，请另列为一名问责对象",
    "no_such_target": "本案没有这一问责对象",
    "held_on_in_future": "不能晚于今天，请在听取陈述申辩后再登记",
    "target_decided_twice": "每个问责对象只能作出一项决定，请勿重复填写",
    "targets_undecided": "每个问责对象都须作出决定，尚有对象未填写",
    "unknown_party_sanction": "不是本单位规则规定的党纪处分",
    "decided_on_before_case": "不能早于本案开始审查的日期",
    "copied_on_in_future": "不能晚于今天，请在抄送后再登记",
    # Review: handing a task to another user
    "user_unknown": "没有这名用户，或其尚未登录过本系统；请其登录后再转交",
    "user_of_another_office": "该用户不属于承办这一待办的部门",
    "user_lacks_capability": "该用户没有办理这一待办的权限",
    "user_outside_authority": "该用户的干部管理权限不涵盖这一待办所涉对象的层级",
    # Routing: interpretations and working calendars
    "unknown_reading": "不是该要点可选的解读",
    "effective_from_in_past": "不能早于今天：选定的解读只适用于今后研判的事项",
    "year_differs_from_path": "与所办理的年份不一致",
    "disagrees_with_bundled_calendar": "与平台内置的全国工作日历不一致，请核对日期",
    "national_year_missing": "该年份的全国工作日历尚未载入，请联系平台运维人员先行载入",
    "national_day_off_already": "该日全国已放假，不必列为本地休息日",
    "national_working_day_already": "该日全国本是工作日，不必列为本地工作日",
    # Notification: documents
    "document_numbering_unknown": "本单位的规则包没有这种文书的编号规则，请联系系统管理员",
    # Reporting: periods
    "year_out_of_range": "超出可统计的年份范围",
    "month_out_of_range": "应为1至12月",
    "half_out_of_range": "应为上半年或下半年",
    "end_before_start": "不能早于起始日期",
    "period_too_long": "统计期间最长{n}天，请缩短",
    "period_out_of_range": "统计期间超出可统计的年份范围",
    # Sanction execution: steps and appeals
    "completed_on_in_future": "不能晚于今天，请在执行完成后再登记",
    "no_appeal_in_rules": "本单位的规则没有规定对问责决定的复查、申诉",
    "no_appeal_for_cadre_level": "按规则，该人员所在的干部层级不适用本单位规定的复查、申诉",
    "filed_on_in_future": "不能晚于今天",
    "filed_before_received": "不能早于收到决定的日期",
    "appeal_out_of_time": "已超过提出复查、申诉的期限",
    "not_a_hearing_body": "不是受理该复查、申诉的机关",
    "varied_measures_required": "改变原决定的，须填写改变后的措施",
    "measures_only_when_varied": "只有改变原决定时才填写措施",
    "decided_on_before_appeal": "不能早于提出复查、申诉的日期",
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
    still missing, the measures refused, the permission needed."""
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
    if "unknown_measures" in codes and isinstance(problem.get("measures"), list) and problem["measures"]:
        words.append("本单位规则未规定的措施：" + "、".join(str(m) for m in problem["measures"]))
    capability = problem.get("capability")
    if isinstance(capability, str) and capability:
        words.append(f"所需权限：{capability}")
    citations = [str(c) for c in problem.get("citations") or [] if c]
    if citations:
        words.append("依据：" + "；".join(citations))
    return words
