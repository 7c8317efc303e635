"""A Kunshan city-managed cadre's matter carried from intake to the written decision entirely in
the console, in Debian's Chromium: each participant office signs the consultation (会商), the
leaders approve, the handling office investigates, recommends (a recommendation the pack refuses
shows the pack's reason), the offices sign the joint review (会审), the target is heard, the
decision's approvals are given in the order of 附件6 and the decision is made. A Jintan user sees
nothing of the matter. A clue naming no one is investigated, and the findings form names the
targets found, each then routed on its own. Screenshots of each page go to docs/console/."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess

from ..kunshan import APPROVERS, CITY_CADRE, PARTICIPANTS, clue_naming_no_one
from .browser import Staff

# One test walks a matter through every office's login in a real browser on the whole stack:
# far longer than the suite's default of 300 s per test on a slow machine.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

CITY_WATER_CADRE = {
    "kind": "person",
    "name": "周明",
    "post": "副局长",
    "unit": "市水务局",
    "cadre_level": "city_managed",
    "sector": "city_department",
}
# 附件6 第四条: the leaders, then the organisation department, then the city party secretary.
DECISION_APPROVERS = ["principal_leader", "leader_in_charge", "city_organisation_department", "city_party_secretary"]


def submit_and_accept(staff: Staff) -> str:
    """ks-intake registers the matter from the intake form and records its acceptance."""
    number = staff.register(
        "ks-intake",
        {
            "source": "city_government",
            "source_reference": f"昆政办移-{uuid.uuid4().hex[:8]}",
            "summary": "安全生产监管失职",
            "facts": "经核查，分管领域安全生产监管不到位，造成不良影响。",
            "proposed_form": "form_2",
        },
        CITY_CADRE,
        number_prefix="KS",
        screenshot="intake",
    )
    staff.accept("室主任，分管副主任")
    return number


def test_a_city_managed_cadres_matter_goes_to_a_decision_in_the_console(
    console: ServiceProcess, page: Page, tenant_for
) -> None:
    ks = tenant_for("wenze-kunshan")
    staff = Staff(page, console, "kunshan")
    number = submit_and_accept(staff)
    matter_id = ks.user("ks-intake").clients["intake"].get("/v1/matters", params={"number": number}).json()
    matter_id = matter_id["items"][0]["id"]

    # 会商: my work lists the signing task with its article and due date, then each office signs.
    staff.sign_in("ks-supervision-1")
    staff.wait_for_task(number, "会商签署")
    page.goto(staff.url("/work"))
    row = page.locator("tr", has=page.locator(f"a:text('{number}')")).first
    expect(row).to_contain_text("会商签署")
    expect(row).to_contain_text("钱国强")
    expect(row.locator(".light")).to_have_count(1)
    expect(row.locator("td.cite")).to_contain_text("昆纪办发〔2019〕19号")
    staff.screenshot("work")
    row.locator("form[action$='/claim'] button").click()
    expect(page.locator("tr", has=page.locator(f"a:text('{number}')")).first).to_contain_text("ks-supervision-1")
    staff.open_matter(number)
    expect(page.locator("section.slip")).to_contain_text("会商中")
    expect(page.locator("section.slip .citation").first).to_be_visible()
    # Where the matter is now comes from reporting: the consultation, the office leading it, and
    # one timeline from intake, routing and review.
    staff.wait_for_stage(number, "分办会商中")
    offices = get_pack("kunshan").vocabulary["offices"]
    expect(page.locator("#progress")).to_contain_text(offices["party_conduct_office"])
    staff.wait_for_timeline_entry(number, f"登记问责事项{number}")
    staff.wait_for_timeline_entry(number, f"受理问责事项{number}")
    timeline = page.locator("section.timeline")
    expect(timeline.locator(".svc", has_text="分办").first).to_be_visible()
    expect(page.locator(".pending")).to_have_count(0)
    staff.screenshot("matter")
    signing = ks.user("ks-intake").task_of_matter("consultation_signature", matter_id)
    consultation = ks.user("ks-intake").get("review", f"/v1/consultations/{signing['subject_id']}")
    assert set(consultation["participants"]) == set(PARTICIPANTS)
    for username in PARTICIPANTS.values():
        staff.take(username, number, "会商签署")
    for office in consultation["approved_by"]:
        staff.take(APPROVERS[office], number, "会商审批")

    # The handling office investigates and recommends; the pack refuses a lighter severity with
    # removal from post, and the page says why in the pack's words.
    staff.take(
        "ks-supervision-1",
        number,
        "调查",
        lambda form: (
            form.locator("textarea[name=findings]").fill("对分管领域安全生产监管失职，不适宜担任现职。"),
            form.locator("textarea[name=evidence]").fill("调查报告"),
        ),
    )

    def recommend(severity: str, measure: str):  # type: ignore[no-untyped-def]
        def fill(form) -> None:  # type: ignore[no-untyped-def]
            form.locator("input[name=statement]").fill("失职失责")
            form.locator("input[name=legal_basis]").fill("昆纪办发〔2019〕19号 附件6")
            form.locator("select[name=severity]").select_option(severity)
            form.locator("input[name=circumstances][value=dereliction_of_duty]").check()
            form.locator("input[name=circumstances][value=unfit_for_current_post]").check()
            form.locator(f"input[name=proposed_measures][value={measure}]").check()

        return fill

    staff.wait_for_task(number, "提出处理建议")
    recommend("lighter", "removal_from_post")(staff.step_form("提出处理建议"))
    staff.submit("提出处理建议")
    refusal = staff.step_form("提出处理建议").locator(".refused")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("未能办理")
    assert "Traceback" not in refusal.inner_text() and "422" not in refusal.inner_text()
    staff.screenshot("refused")
    staff.take("ks-supervision-1", number, "提出处理建议", recommend("heavier", "reassignment"))

    # 会审: the offices sign, the leaders approve.
    for username in PARTICIPANTS.values():
        staff.take(username, number, "会审签署")
    case = ks.user("ks-supervision-1").get("review", "/v1/cases", matter_id=matter_id)[0]
    joint = ks.user("ks-intake").get("review", f"/v1/joint-reviews/{case['joint_review_id']}")
    for office in joint["approved_by"]:
        staff.take(APPROVERS[office], number, "会审审批")

    # Deciding before the hearing is refused with the step that is missing.
    today = staff_today()

    def decide(form) -> None:  # type: ignore[no-untyped-def]
        form.locator("input[name=decided_on]").fill(today)
        form.locator("input[name=measures_0][value=reassignment]").check()

    staff.sign_in("ks-supervision-1")
    staff.wait_for_task(number, "作出问责决定")
    decide(staff.step_form("作出问责决定"))
    staff.submit("作出问责决定")
    expect(staff.step_form("作出问责决定").locator(".refused")).to_be_visible()

    staff.take(
        "ks-supervision-1",
        number,
        "听取陈述申辩",
        lambda form: (
            form.locator("input[name=argument]").fill("系前任遗留问题"),
            form.locator("input[name=reason]").fill("到任后未履行整改职责"),
        ),
    )
    for office in DECISION_APPROVERS:
        staff.take(APPROVERS[office], number, "问责决定审批")
    staff.take("ks-supervision-1", number, "作出问责决定", decide)
    expect(page.locator("section.case")).to_contain_text("已作出决定")
    expect(page.locator("section.case")).to_contain_text("问责决定")
    # Sanction execution may already have opened the decision's execution.
    staff.wait_for_stage(number, "已作出问责决定", "执行中")
    staff.wait_for_timeline_entry(number, "作出问责决定")
    staff.screenshot("matter-decided")
    decided = ks.user("ks-supervision-1").get("review", "/v1/cases", matter_id=matter_id)[0]
    assert decided["decision"]["measures"][0]["measures"] == ["reassignment"]

    # Sanction execution opened the decision's deadlines on the deciding office's list.
    ks.executions(decided["decision"]["id"], "ks-supervision-1")
    page.goto(staff.url("/deadlines"))
    expect(page.locator("table.work")).to_contain_text(number)
    expect(page.locator("table.work")).to_contain_text("问责决定等资料抄送党风政风监督室")
    staff.expect_chinese()
    staff.screenshot("deadlines")
    page.goto(staff.url("/rules"))
    expect(page.locator("h1")).to_contain_text("规则")
    # The judgement calls of the documents, each with the reading in force: the pack's default
    # until the commission chooses another on the record.
    points = page.locator("#points table.points")
    expect(points).to_contain_text("monthly_figures_rest_day")
    expect(points).to_contain_text("昆纪办发〔2019〕19号 五.1")
    expect(points).to_contain_text("（默认）")
    # The questions, readings and reasons, the decisions and the articles are the pack's Chinese.
    expect(points).to_contain_text("28日为休息日时，期限是当日还是顺延至下一个工作日")
    expect(points).to_contain_text("月底汇总紧随其后，顺延28日会挤占汇总时间")
    expect(page.locator("table.decisions")).to_contain_text("月度数据、月底汇总、案例库和半年分析及其报送期限")
    staff.expect_chinese()
    staff.screenshot("rules")

    # Another tenant's user sees nothing of the matter.
    jintan = Staff(page, console, "jintan")
    jintan.sign_in("jt-conduct-office")
    jintan.expect_not_found(f"/matters/{number}", "钱国强")
    staff.expect_sign_in_asked(f"/matters/{number}")


def test_findings_name_the_targets_an_investigation_identified_and_each_is_routed(
    console: ServiceProcess, page: Page, tenant_for
) -> None:
    """A clue naming no one (附件5 第四条): the investigating office's findings form asks for the
    targets the investigation identified; without one, review's refusal is shown on the form,
    and with two, each is classified and routed on its own slip."""
    ks = tenant_for("wenze-kunshan")
    matter, slip = clue_naming_no_one(ks)
    staff = Staff(page, console, "kunshan")
    staff.sign_in("ks-supervision-1")
    staff.wait_for_task(matter["number"], "调查")
    form = staff.step_form("调查")
    form.locator("textarea[name=findings]").fill("尚未查明责任人。")
    staff.submit("调查")
    refusal = staff.step_form("调查").locator(".refused")
    expect(refusal).to_be_visible()
    assert "Traceback" not in refusal.inner_text() and "422" not in refusal.inner_text()

    form = staff.step_form("调查")
    # What was written stays in the form after the refusal.
    expect(form.locator("textarea[name=findings]")).to_have_value("尚未查明责任人。")
    form.locator("textarea[name=findings]").fill("查明相关责任人。")
    for row, (name, level) in enumerate((("周斌", "city_managed"), ("沈小林", "not_city_managed"))):
        form.locator(f"input[name=identified_{row}_name]").fill(name)
        form.locator(f"input[name=identified_{row}_post]").fill("副镇长")
        form.locator(f"input[name=identified_{row}_unit]").fill("巴城镇")
        form.locator(f"select[name=identified_{row}_cadre_level]").select_option(level)
        form.locator(f"select[name=identified_{row}_sector]").select_option("district_town")
    staff.expect_chinese("section.step")
    staff.screenshot("findings-identified")
    staff.submit("调查")
    expect(page.locator(".refused")).to_have_count(0)

    # Each identified target on a slip of its own: the city-managed cadre to a consultation, the
    # town's cadre to the district and town commission.
    slips = ks.slips(matter["id"], "ks-intake", count=3)
    children = {s["targets"][0]["name"]: s for s in slips if s["parent_slip_id"] == slip["id"]}
    assert set(children) == {"周斌", "沈小林"}
    assert children["周斌"]["state"] == "in_consultation"
    assert children["沈小林"]["handler"] == "district_town_commission"
    assert children["沈小林"]["targets"][0]["post"] == "副镇长"


def staff_today() -> str:
    return get_pack("kunshan").today().isoformat()


def test_a_matter_reporting_has_not_seen_yet_shows_what_the_services_answered(
    console_before_progress: ServiceProcess, page: Page, tenant_for
) -> None:
    ks = tenant_for("wenze-kunshan")
    matter = ks.user("ks-intake").ok(
        "intake",
        "/v1/matters",
        {
            "source": "city_government",
            "source_reference": f"昆政办移-{uuid.uuid4().hex[:8]}",
            "summary": "河道整治推进迟缓",
            "facts": "经核查，整治工作未按期完成。",
            "targets": [CITY_WATER_CADRE],
        },
    )
    staff = Staff(page, console_before_progress, "kunshan")
    staff.sign_in("ks-intake")
    response = page.goto(staff.url(f"/matters/{matter['number']}"))
    assert response is not None and response.status == 200
    expect(page.locator("h1 .state")).to_have_text("已登记")
    expect(page.locator(".facts")).to_contain_text("河道整治推进迟缓")
    expect(page.locator("#progress .pending")).to_contain_text("正在汇集")
    expect(page.locator("#acceptance form")).to_be_visible()
    expect(page.locator("section.timeline li")).to_have_count(0)


def test_a_bulk_import_shows_its_progress_and_the_refused_rows(console: ServiceProcess, page: Page) -> None:
    staff = Staff(page, console, "kunshan")
    staff.sign_in("ks-intake")
    rows = []
    for index in range(300):
        rows.append(
            {
                "source": "city_government",
                "source_reference": f"导入-{uuid.uuid4().hex[:10]}-{index}",
                "summary": "履职不力",
                "facts": "经核查，相关人员履职不到位。",
                "targets": [
                    {
                        "kind": "person",
                        "name": f"张{index}",
                        "unit": "巴城镇",
                        "cadre_level": "not_city_managed",
                        "sector": "district_town",
                    }
                ],
            }
        )
    rows[7]["targets"][0]["cadre_level"] = "not_a_level"
    upload = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
    page.goto(staff.url("/intake"))
    page.set_input_files(
        "input[name=file]", files=[{"name": "批量.jsonl", "mimeType": "application/x-ndjson", "buffer": upload}]
    )
    page.locator("form[action$='/imports'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/imports/[0-9a-f-]+$"))
    expect(page.locator("#import-progress progress")).to_be_visible()
    # The file's own name, as intake stored it from the percent-encoded header.
    expect(page.locator("h1 small")).to_have_text("批量.jsonl")
    staff.screenshot("import")
    # htmx polls the job until it ends; the page itself is never reloaded.
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "completed", timeout=120_000)
    expect(page.locator("#import-progress .registered")).to_have_text("299")
    refused = page.locator("table.refused-rows")
    expect(refused).to_contain_text("8")
    # The column and the reason in staff's words, not the service's path and English.
    expect(refused).to_contain_text("干部管理层级：不是本单位规则规定的可选项")
    staff.expect_chinese("table.refused-rows")
    staff.screenshot("import-finished")
