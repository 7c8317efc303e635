"""What the tenants' own packs say about carrying out decisions, read as the service reads them."""

from __future__ import annotations

import datetime as dt

from wenze.rules import get_pack
from wenze_sanction_execution.persons.models import Purpose
from wenze_sanction_execution.terms import (
    Bar,
    after_effects,
    appeal_terms,
    combined_until,
    decision_facts,
    execution_plan,
)


def plan_for(tenant: str, target: dict, measure: str, decided_on: dt.date):
    pack = get_pack(tenant)
    facts = {**decision_facts(pack, target, [measure], decided_on), "measure": measure}
    step = pack.workflow_decision("execution")
    assert step is not None
    return execution_plan(pack, pack.evaluate(step, facts, on=decided_on), default_lead_days=3)


def test_kunshan_copy_deadline_runs_over_national_day_to_the_make_up_saturday() -> None:
    plan = plan_for(
        "kunshan", {"kind": "person", "cadre_level": "city_managed"}, "removal_from_post", dt.date(2026, 9, 30)
    )
    (deadline,) = plan.deadlines
    assert deadline.duty == "copy_decision"
    assert deadline.due_on == dt.date(2026, 10, 10)
    # The pack's lead time, two days, not the service's default of three.
    assert deadline.remind_on == dt.date(2026, 10, 8)
    assert deadline.citations == ["昆纪办发〔2019〕19号 二.3"]
    codes = [s.code for s in plan.steps]
    assert codes == [
        "copy_decision",
        "talk_and_record",
        "consult_organisation_department",
        "party_secretary_approval",
        "proposal_letter",
        "copy_materials",
        "follow_up",
    ]
    assert (
        "昆纪办发〔2019〕19号 附件6 第四条（四）"
        in next(s for s in plan.steps if s.code == "proposal_letter").citations
    )


def test_zhenxiong_executes_serves_files_and_reports_without_a_deadline() -> None:
    plan = plan_for("zhenxiong", {"kind": "person", "cadre_level": "leader"}, "admonishment", dt.date(2026, 3, 2))
    assert [s.code for s in plan.steps] == [
        "decision_document",
        "send_for_execution",
        "serve_decision",
        "personal_file",
        "city_filing",
    ]
    assert plan.deadlines == []


def test_jintan_admonishment_bars_promotion_six_months_and_honours_that_year() -> None:
    pack = get_pack("jintan")
    decided_on = dt.date(2026, 6, 10)
    facts = decision_facts(pack, {"kind": "person", "cadre_level": "staff"}, ["admonishment"], decided_on)
    effects = after_effects(pack, pack.evaluate("conduct_after_effects", facts, on=decided_on), decided_on)
    by_purpose = {e.purpose: e for e in effects}
    assert by_purpose[Purpose.PROMOTION].until == dt.date(2026, 12, 10)
    assert by_purpose[Purpose.PROMOTION].citations == ["坛作组办〔2019〕2号 第十九条第二款"]
    assert by_purpose[Purpose.HONOURS].until == dt.date(2027, 1, 1)
    assert Purpose.APPOINTMENT not in by_purpose


def test_zhenxiong_bar_without_a_length_names_the_regulation_that_sets_it() -> None:
    pack = get_pack("zhenxiong")
    decided_on = dt.date(2026, 3, 2)
    facts = decision_facts(pack, {"kind": "person", "cadre_level": "leader"}, ["admonishment"], decided_on)
    effects = after_effects(pack, pack.evaluate("after_effects", facts, on=decided_on), decided_on)
    assert {e.purpose for e in effects} == {Purpose.PROMOTION, Purpose.HONOURS}
    assert all(e.until is None and e.period_set_by and "问责条例" in e.period_set_by for e in effects)


def test_zhenxiong_appeal_window_is_fifteen_calendar_days_from_receipt() -> None:
    pack = get_pack("zhenxiong")
    received = dt.date(2026, 3, 2)
    terms = appeal_terms(
        pack.evaluate("appeal_deadline", {"received_on": received, "cadre_level": "leader"}, on=received)
    )
    assert terms.allowed and terms.last_day == dt.date(2026, 3, 17)
    assert terms.heard_by == ["deciding_organ", "higher_organ"]
    assert terms.suspends_execution is False


def test_hubei_appeal_has_no_window_and_does_not_suspend() -> None:
    pack = get_pack("hubei")
    on = dt.date(2026, 5, 6)
    terms = appeal_terms(pack.evaluate("appeal", {"appeal_lodged": True}, on=on))
    assert terms.allowed and terms.last_day is None
    assert terms.suspends_execution is False
    assert terms.citations == ["湖北省党风廉政建设主体责任和监督责任追究暂行办法 第二十条"]


def _bar(until: dt.date | None, starts_on: dt.date = dt.date(2026, 1, 5)) -> Bar:
    return Bar("promotion", until, None if until else "其他规定", "D-1", starts_on, "r", "d", ["c"])


def test_concurrent_periods_hold_until_the_latest_end_not_their_sum() -> None:
    assert combined_until([_bar(dt.date(2026, 7, 5)), _bar(dt.date(2027, 1, 5))]) == (True, dt.date(2027, 1, 5))
    assert combined_until([_bar(dt.date(2026, 7, 5)), _bar(None)]) == (True, None)
    assert combined_until([]) == (False, None)


def test_jintan_month_deadline_names_the_rest_day_point_and_the_announcement_does_not() -> None:
    """第十九条第一款's month ends on Saturday 2026-11-14 for a decision of 2026-10-14: read as a
    plain month it is due then, read as moving off rest days on Monday the 16th. The deadline
    and the plan name the point with the reading applied; the after-effect periods, set by
    tables that read no parameter of it, name none."""
    pack = get_pack("jintan")
    decided_on = dt.date(2026, 10, 14)
    target = {"kind": "person", "cadre_level": "staff", "party_member": True}
    facts = {**decision_facts(pack, target, ["admonishment"], decided_on), "measure": "admonishment"}
    (point,) = [p for p in pack.points if p.id == "completion_month_rest_day"]
    read = {}
    for reading in ("calendar_month", "next_working_day"):
        evaluation = pack.evaluate("execution", facts, on=decided_on, readings={"completion_month_rest_day": reading})
        read[reading] = execution_plan(pack, evaluation, default_lead_days=3)
    assert [d.due_on for d in read["calendar_month"].deadlines] == [dt.date(2026, 11, 14)]
    assert [d.due_on for d in read["next_working_day"].deadlines] == [dt.date(2026, 11, 16)]
    for reading, plan in read.items():
        ((applied,),) = [d.interpretations for d in plan.deadlines]
        assert (applied["point"], applied["reading"]) == ("completion_month_rest_day", reading)
        assert applied["default"] is (reading == "calendar_month")
        assert applied["label"] == point.reading(reading).label
        assert [i["point"] for i in plan.interpretations] == ["completion_month_rest_day"]

    after = pack.evaluate("conduct_after_effects", facts, on=decided_on)
    assert [i.point for i in after.interpretations] == ["completion_month_rest_day"]
    effects = after_effects(pack, after, decided_on)
    assert effects and all(e.interpretations == [] for e in effects)
