"""Every problem type of the platform has Chinese words in the console's catalogue, and a
refusal reads as the catalogue, the form's fields and the reasons in Chinese."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

from wenze.cli.client import ProblemError
from wenze.http.problems import _HTTP_SLUGS
from wenze.problems import PROBLEM_TYPE_BASE, Problem
from wenze.rules import get_pack
from wenze_console.refusals import REASONS, REFUSALS
from wenze_console.web import problem_words

REPOSITORY = Path(__file__).resolve().parents[4]


def _packages() -> list[str]:
    """The shared library and every service but the console, as installed in the workspace."""
    services = sorted(
        package.name
        for package in REPOSITORY.glob("services/*/src/wenze_*")
        if package.is_dir() and package.name != "wenze_console"
    )
    return ["wenze", *services]


def _subclasses(cls: type[Problem]) -> Iterator[type[Problem]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def defined_slugs() -> set[str]:
    """The slug of every Problem subclass the library and the services define (imported, so a
    class is found wherever it lives), and the types the HTTP layer gives FastAPI's own errors."""
    for name in _packages():
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            # Alembic's env.py runs a migration when imported; __main__ starts a process.
            if ".migrations" in module.name or module.name.endswith("__main__"):
                continue
            importlib.import_module(module.name)
    # Only the platform's own classes: a test module imported earlier in the run may define one.
    ours = set(_packages())
    slugs = {Problem.slug, *(c.slug for c in _subclasses(Problem) if c.__module__.split(".")[0] in ours)}
    # The HTTP layer's own errors, and its fallback for a status it does not name.
    slugs |= {slug for slug, _title in _HTTP_SLUGS.values()} | {"http-error"}
    return slugs


def test_every_problem_type_of_the_platform_has_chinese_words_and_none_is_stale() -> None:
    slugs = defined_slugs()
    # The discovery reached the library and each service's own modules.
    assert {"validation-failed", "matter-not-found", "refused-by-rules", "rules-refused"} <= slugs
    assert {"case-mark-refused", "contact-exists", "another-offices-deadlines", "step-not-yours"} <= slugs
    assert sorted(slugs - set(REFUSALS)) == [], "problem types without Chinese words in wenze_console.refusals"
    assert sorted(set(REFUSALS) - slugs) == [], "words for problem types nothing defines any more"
    assert [slug for slug, words in REFUSALS.items() if not re.search("[\u4e00-\u9fff]", words)] == []


# The calls that refuse one field with a code of the reason: wenze.problems.invalid, review's
# refusal by the rules and intake's unreadable import row; by where each may take the code
# positionally.
_REFUSING: dict[str, int | None] = {"invalid": None, "RuleRefusal": None, "RowUnreadable": 2}


def _sources() -> list[Path]:
    roots = [REPOSITORY / "shared" / "src", *sorted((REPOSITORY / "services").glob("*/src"))]
    return [path for root in roots for path in sorted(root.rglob("*.py"))]


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _literal_code(value: ast.expr | None) -> str | None:
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


def _literal_codes(value: ast.expr | None) -> list[str] | None:
    """The code a literal string gives, or each that a conditional between literals may give."""
    if isinstance(value, ast.IfExp):
        branches = [_literal_codes(value.body), _literal_codes(value.orelse)]
        return None if None in branches else [code for branch in branches for code in branch or []]
    code = _literal_code(value)
    return None if code is None else [code]


def refusal_codes() -> tuple[dict[str, list[str]], list[str]]:
    """Each code the library and the services refuse a field with, by where: the ``code=`` of
    every call of ``invalid`` or ``RuleRefusal`` (``RowUnreadable``'s third argument), and the
    ``code`` of an error written out as ``{"field": ..., "reason": ..., "code": "..."}``; and
    the calls whose code is missing or is not a literal string (so no test could know it)."""
    codes: dict[str, list[str]] = {}
    unnamed: list[str] = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (called := _called(node)) in _REFUSING:
                where = f"{path.relative_to(REPOSITORY)}:{node.lineno}"
                position = _REFUSING[called]
                given = next((k.value for k in node.keywords if k.arg == "code"), None)
                if given is None and position is not None and len(node.args) > position:
                    given = node.args[position]
                found = _literal_codes(given)
                if found is None:
                    unnamed.append(where)
                for code in found or []:
                    codes.setdefault(code, []).append(where)
            elif isinstance(node, ast.Dict):
                members = {_literal_code(key): value for key, value in zip(node.keys, node.values, strict=True) if key}
                code = _literal_code(members.get("code"))
                if {"field", "reason"} <= members.keys() and code is not None:
                    codes.setdefault(code, []).append(f"{path.relative_to(REPOSITORY)}:{node.lineno}")
    return codes, unnamed


def test_every_code_a_service_refuses_a_field_with_has_chinese_words() -> None:
    codes, unnamed = refusal_codes()
    assert unnamed == [], "refusals without a literal code (file:line)"
    # The discovery reached the library, each service and the errors intake writes out.
    assert {"unknown_query_parameter", "not_a_uuid", "measures_required", "unknown_office"} <= codes.keys()
    assert {"study_date_in_future", "not_in_vocabulary", "period_too_long", "before_decision"} <= codes.keys()
    assert {"line_too_long", "not_utf8", "json_invalid", "identity_number_as_number_cell"} <= codes.keys()
    missing = sorted(f"{code} ({', '.join(where)})" for code, where in codes.items() if code not in REASONS)
    assert missing == [], "codes without Chinese words in wenze_console.refusals.REASONS"
    assert [code for code in codes if not re.search("[\u4e00-\u9fff]", REASONS[code])] == []


def problem(slug: str, status: int = 422, **members: object) -> ProblemError:
    return ProblemError(status, {"type": PROBLEM_TYPE_BASE + slug, "title": slug, "status": status, **members})


def test_a_validation_problem_names_the_forms_fields_and_the_reasons_in_chinese() -> None:
    refused = problem(
        "validation-failed",
        detail="body.summary: Field required; body.targets.0.name: String should have at most 200 characters",
        errors=[
            {"field": "body.summary", "reason": "Field required", "code": "missing"},
            {
                "field": "body.targets.0.name",
                "reason": "String should have at most 200 characters",
                "code": "string_too_long",
            },
            {
                "field": "body.study_date",
                "reason": "Input should be a valid date",
                "code": "date_from_datetime_parsing",
            },
            {"field": "body.outcome", "reason": "Input should be 'accepted' or 'transferred'", "code": "literal_error"},
            {"field": "body.arguments.0.reason", "reason": "Field required", "code": "missing"},
            {"field": "body.participants", "reason": "List should have at least 1 item", "code": "too_short"},
        ],
    )
    assert problem_words(refused, get_pack("kunshan")) == [
        REFUSALS["validation-failed"],
        "事由：必须填写",
        "姓名或名称：不得超过200个字",
        "研究日期：日期格式不正确，应为“年-月-日”（如 2026-05-01）",
        "研究结果：不是可选的取值之一",
        "采纳或不予采纳的理由：必须填写",
        "参加研究人员：至少1项",
    ]


def test_a_reason_the_console_cannot_translate_is_kept_under_the_forms_field() -> None:
    refused = problem(
        "validation-failed",
        detail="body.targets.0.identity_number: check digit does not match",
        errors=[{"field": "body.targets.0.identity_number", "reason": "check digit does not match"}],
    )
    assert problem_words(refused) == [REFUSALS["validation-failed"], "公民身份号码：check digit does not match"]


def test_a_rule_refusal_keeps_the_packs_words_and_cites_its_articles() -> None:
    pack = get_pack("kunshan")
    refused = problem(
        "refused-by-rules",
        detail="body.proposed_measures: removal_from_post not permitted; permitted: party_warning (第七条)",
        errors=[
            {
                "field": "body.proposed_measures",
                "reason": "removal_from_post not permitted; permitted: party_warning",
                "code": "measures_not_permitted",
            }
        ],
        citations=["昆纪办发〔2019〕19号 附件6 第七条"],
        measures=["removal_from_post"],
        outcome={"permitted_measures": ["party_warning", "party_serious_warning"]},
    )
    assert problem_words(refused, pack) == [
        REFUSALS["refused-by-rules"],
        # Review's reason by its code, and the measures in the pack's labels.
        "拟采取的措施：所提措施不在规则允许的范围内",
        "不允许的措施：免职",
        "规则允许的措施：党内警告、党内严重警告",
        "依据：昆纪办发〔2019〕19号 附件6 第七条",
    ]
    # Measures outside the tenant's catalogue are named, as the service gave them.
    unknown = problem(
        "validation-failed",
        detail="body.measures: fine are not measures of kunshan",
        errors=[{"field": "body.measures", "reason": "fine are not measures of kunshan", "code": "unknown_measures"}],
        measures=["fine"],
    )
    assert problem_words(unknown, pack) == [
        REFUSALS["validation-failed"],
        "问责措施：含有本单位规则未规定的措施",
        "本单位规则未规定的措施：fine",
    ]
    # A refusal whose reason is the pack's Chinese keeps that reason as it is, under the field.
    chinese = problem(
        "refused-by-rules",
        detail="body.simplified: 适用简易程序须事实清楚 (坛作组办〔2019〕2号 第十六条)",
        errors=[{"field": "body.simplified", "reason": "适用简易程序须事实清楚"}],
        citations=["坛作组办〔2019〕2号 第十六条"],
    )
    assert problem_words(chinese, pack) == [
        REFUSALS["refused-by-rules"],
        "简易程序：适用简易程序须事实清楚",
        "依据：坛作组办〔2019〕2号 第十六条",
    ]
    # A detail the service already wrote in Chinese is kept after the catalogue's sentence.
    said = problem("rules-refused", detail="规则未能判断：尚无施行中的实施办法")
    assert problem_words(said, pack) == [REFUSALS["rules-refused"], "规则未能判断：尚无施行中的实施办法"]


def test_a_missing_step_is_named_and_an_unknown_problem_type_reads_as_the_service_wrote_it() -> None:
    missing = problem(
        "required-step-missing",
        409,
        detail="no hearing (陈述、申辩) recorded for target(s) [0]",
        step="hearing",
        citations=["第十九条"],
    )
    assert problem_words(missing)[:1] == [REFUSALS["required-step-missing"]]
    assert "尚未完成的步骤：听取陈述申辩" in problem_words(missing)
    assert "依据：第十九条" in problem_words(missing)
    newer = problem("case-archived", 409, detail="the case was archived")
    assert problem_words(newer) == ["the case was archived"]
