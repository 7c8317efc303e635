"""What the console decides itself: the traffic light, form fields to request bodies, and a
service's refusal in words."""

from __future__ import annotations

import datetime as dt

from starlette.datastructures import FormData

from wenze.cli.client import ProblemError
from wenze.rules import get_pack
from wenze_console.labels import action_label, reading_href, readings_shown
from wenze_console.matters.schemas import step_body
from wenze_console.web import problem_words
from wenze_console.work.service import traffic_light

TODAY = dt.date(2026, 12, 4)


def test_the_traffic_light_turns_yellow_three_days_ahead_and_red_once_overdue() -> None:
    assert traffic_light(None, TODAY) == ("green", None)
    assert traffic_light(TODAY + dt.timedelta(days=4), TODAY) == ("green", 4)
    assert traffic_light(TODAY + dt.timedelta(days=3), TODAY) == ("yellow", 3)
    assert traffic_light(TODAY, TODAY) == ("yellow", 0)
    assert traffic_light(TODAY - dt.timedelta(days=1), TODAY) == ("red", -1)


def test_a_decision_form_gives_each_targets_measures() -> None:
    form = FormData(
        [
            ("decided_on", "2026-12-04"),
            ("facts_clear", "on"),
            ("measures_0", "reassignment"),
            ("measures_1", "admonishment"),
            ("measures_1", "circulated_notice"),
        ]
    )
    assert step_body("decide", form, 3) == {
        "decided_on": "2026-12-04",
        "simplified": False,
        "facts_clear": True,
        "measures": [
            {"target_index": 0, "measures": ["reassignment"]},
            {"target_index": 1, "measures": ["admonishment", "circulated_notice"]},
        ],
    }


def test_a_signature_with_another_handler_and_findings_with_evidence_lines() -> None:
    sign = FormData([("opinion", "other"), ("handler", "case_trial_office"), ("text", " 宜由审理室承办 ")])
    assert step_body("sign", sign, 1) == {"opinion": "other", "handler": "case_trial_office", "text": "宜由审理室承办"}
    findings = FormData([("findings", "失职"), ("evidence", "调查报告\n\n谈话笔录\n")])
    assert step_body("findings", findings, 1) == {"findings": "失职", "evidence": ["调查报告", "谈话笔录"]}


def test_findings_carry_the_identified_targets_of_the_rows_filled_in() -> None:
    findings = FormData(
        [
            ("findings", "查明相关责任人"),
            ("evidence", "调查报告"),
            ("identified_0_kind", "person"),
            ("identified_0_name", " 周斌 "),
            ("identified_0_post", "副镇长"),
            ("identified_0_unit", "巴城镇"),
            ("identified_0_cadre_level", "city_managed"),
            ("identified_0_org_level", ""),
            ("identified_0_sector", "district_town"),
            # A row left blank: its selects still send their first choice.
            ("identified_1_kind", "person"),
            ("identified_1_name", ""),
            ("identified_1_cadre_level", ""),
            ("identified_2_kind", "organisation"),
            ("identified_2_unit", "巴城镇党委"),
            ("identified_2_org_level", "township_section"),
        ]
    )
    assert step_body("findings", findings, 1) == {
        "findings": "查明相关责任人",
        "evidence": ["调查报告"],
        "identified_targets": [
            {
                "kind": "person",
                "name": "周斌",
                "post": "副镇长",
                "unit": "巴城镇",
                "cadre_level": "city_managed",
                "sector": "district_town",
            },
            {"kind": "organisation", "unit": "巴城镇党委", "org_level": "township_section"},
        ],
    }


def test_a_refusal_is_shown_in_the_services_words_each_field_once() -> None:
    refused = ProblemError(
        422,
        {
            "title": "Unprocessable",
            "detail": "proposed_measures: removal_from_post is not open to a lighter case",
            "errors": [
                {"field": "body.proposed_measures", "reason": "proposed_measures: removal_from_post is not open"},
                {"field": "body.severity", "reason": "required"},
            ],
        },
    )
    words = problem_words(refused)
    assert words[0] == "proposed_measures: removal_from_post is not open to a lighter case"
    # The field in the form's words; the reason, with no code to translate, as the service gave it.
    assert "情节：required" in words
    assert not any("422" in w or "Traceback" in w for w in words)


def test_timeline_actions_have_words() -> None:
    assert action_label("consultation_signed") == "会商签署"
    assert action_label("joint_review_approved") == "会审审批同意"
    assert action_label("consultation_escalation_upheld") == "会商提级处理"


def test_a_refusal_reads_the_packs_codes_as_its_labels() -> None:
    from wenze.rules import get_pack

    refused = ProblemError(
        422,
        {
            "title": "Unprocessable",
            "detail": "body.proposed_measures: removal_from_post not permitted; permitted: party_warning",
            "errors": [{"field": "body.proposed_measures", "reason": "removal_from_post not permitted"}],
        },
    )
    assert problem_words(refused, get_pack("kunshan")) == ["proposed_measures: 免职 not permitted; permitted: 党内警告"]


def test_a_reading_an_outcome_depended_on_is_shown_in_the_packs_words_and_linked_to_its_explanation() -> None:
    pack = get_pack("jintan")
    stored = [
        {
            "point": "completion_month_rest_day",
            "reading": "next_working_day",
            "question": "stored with the outcome",
            "label": "stored label",
            "default": False,
        },
        # A point the pack no longer has keeps the words stored with the outcome.
        {"point": "retired_point", "reading": "old", "question": "旧的\n问题", "label": "旧解读", "default": True},
    ]
    (chosen, retired) = readings_shown(pack, stored)
    point = pack.point("completion_month_rest_day")
    assert chosen["question"] == " ".join(point.question.split())
    assert chosen["label"] == "期限最后一日为休息日的，顺延至下一个工作日"
    assert chosen["default"] is False
    assert (retired["question"], retired["label"], retired["default"]) == ("旧的 问题", "旧解读", True)

    assert reading_href(
        pack, "jintan", "execution", dt.date(2026, 11, 12), "completion_month_rest_day", "next_working_day"
    ) == ("/t/jintan/rules/explain?decision=execution&on=2026-11-12&r.completion_month_rest_day=next_working_day")
    assert reading_href(pack, "jintan", None, None, "completion_month_rest_day", "calendar_month") == (
        "/t/jintan/rules#point-completion_month_rest_day"
    )
    assert reading_href(pack, "jintan", "no_such_decision", None, "p", "r") == "/t/jintan/rules#point-p"
