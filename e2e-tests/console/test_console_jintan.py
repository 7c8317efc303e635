"""A Jintan clerk's matter through the simplified procedure of 坛作组办〔2019〕2号 第十六条, carried
entirely in the console in Debian's Chromium: the unit that found the problem registers it, the
conduct office accepts it, the leading group's responsible member approves the start, the unit
checks in the rule browser that the simplified procedure is open to it, investigates, recommends,
hears the clerk and decides under the simplified procedure. The reports page then shows the
decision in the month's figures with reporting's charts and exports; a Kunshan user signed in to
Kunshan finds no such matter; a form sent without its CSRF token does nothing. Once
sanction-execution has opened the execution, the matter page names the interpretation point its
month for the formalities rests on and the reading applied. Screenshots of the matter with its
execution and of the reports and explain pages go to docs/console/."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess

from .browser import WAIT_SECONDS, Staff

# One test walks a matter through every office's login in a real browser on the whole stack:
# far longer than the suite's default of 300 s per test on a slow machine.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

PACK = get_pack("jintan")
MEASURES = PACK.vocabulary["measures"]
REST_DAY = PACK.point("completion_month_rest_day")


def register(staff: Staff) -> str:
    """The education bureau, which found the problem itself, registers it from the intake form."""
    return staff.register(
        "jt-unit-education",
        {
            "source": "unit_self_found",
            "source_reference": f"坛教自查-{uuid.uuid4().hex[:8]}",
            "summary": "窗口办件无故超期",
            "facts": "经单位自查，窗口工作人员无正当理由逾期办理群众事项三件。",
        },
        {
            "kind": "person",
            "name": "孙晓",
            "post": "科员",
            "unit": "区教育局",
            "cadre_level": "staff",
            "sector": "administrative_organ",
        },
        number_prefix="JT",
    )


def explain_simplified(staff: Staff, measures: list[str]) -> None:
    """The simplified procedure's decision in the rule browser, for a unit that found the
    problem itself and whose facts are clear."""
    page = staff.page
    page.goto(staff.url("/rules"))
    page.locator("a", has_text="判断说明").click()
    page.locator("form.pick select[name=decision]").select_option("conduct_simplified_procedure")
    page.locator("form.pick button[type=submit]").click()
    form = page.locator("section.explain-form form")
    form.locator("select[name='f.source']").select_option("unit_self_found")
    form.locator("select[name='f.facts_clear']").select_option("true")
    for measure in measures:
        form.locator(f"input[name='f.measures'][value={measure}]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_clerks_matter_is_decided_by_the_unit_under_the_simplified_procedure(
    console: ServiceProcess, page: Page, tenant_for
) -> None:
    jt = tenant_for("wenze-jintan")
    staff = Staff(page, console, "jintan")
    number = register(staff)
    matter_id = jt.user("jt-conduct-office").clients["intake"].get("/v1/matters", params={"number": number}).json()
    matter_id = matter_id["items"][0]["id"]

    # 第十三条: the conduct office studies and accepts the matter.
    staff.sign_in("jt-conduct-office")
    staff.open_matter(number)
    staff.accept("办公室主任，分管副主任")

    # A form sent without its CSRF token is refused and changes nothing: the start approval
    # stays open for the leading group's member.
    take_start = "立案（启动）审批"
    # The leading group's member reads the matter only through its task, once routing has
    # routed it and review has opened the case (both asynchronously): until then the console
    # rightly finds no matter for that office.
    jt.case(jt.routed_slip(matter_id, "jt-conduct-office")["id"], "jt-conduct-office")
    staff.sign_in("jt-group-deputy")
    staff.wait_for_task(number, take_start)
    form = staff.step_form(take_start)
    form.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("请求被拒绝")
    expect(page.locator("body")).to_contain_text("CSRF")
    staff.open_matter(number)
    expect(staff.step_form(take_start)).to_be_visible()
    staff.take("jt-group-deputy", number, take_start)

    # Before deciding, the unit reads in the rule browser what 第十六条 allows: admonishment alone
    # takes the simplified procedure; an organisational measure would need the conduct office first.
    staff.sign_in("jt-unit-education")
    explain_simplified(staff, ["admonishment"])
    outcome = page.locator("section.outcome")
    expect(outcome.locator("dd.out-simplified_allowed")).to_have_text("是")
    expect(page.locator("section.fired")).to_contain_text("坛作组办〔2019〕2号 第十六条")
    expect(page.locator("section.fired")).to_contain_text("坛作组办〔2019〕2号 第十五条第一款")
    explain_simplified(staff, ["admonishment", "organisational_measure"])
    expect(page.locator("dd.out-simplified_allowed")).to_have_text("否")
    expect(page.locator("dd.out-prior_approval_by")).to_have_text(PACK.vocabulary["offices"]["conduct_office"])

    staff.take(
        "jt-unit-education",
        number,
        "调查",
        lambda form: (
            form.locator("textarea[name=findings]").fill("事实清楚：无正当理由逾期办理群众事项三件。"),
            form.locator("textarea[name=evidence]").fill("自查报告\n办件记录"),
        ),
    )
    staff.take(
        "jt-unit-education",
        number,
        "提出处理建议",
        lambda form: (
            form.locator("input[name=statement]").fill("作风不实，逾期办理群众事项"),
            form.locator("input[name=legal_basis]").fill("坛作组办〔2019〕2号 第十六条"),
            form.locator("select[name=severity]").select_option("ordinary"),
            form.locator("input[name=proposed_measures][value=admonishment]").check(),
        ),
    )
    staff.take(
        "jt-unit-education",
        number,
        "听取陈述申辩",
        lambda form: (
            form.locator("input[name=argument]").fill("窗口工作量大"),
            form.locator("input[name=reason]").fill("不构成逾期的正当理由"),
        ),
    )

    def decide(form) -> None:  # type: ignore[no-untyped-def]
        form.locator("input[name=decided_on]").fill(PACK.today().isoformat())
        form.locator("input[name=simplified]").check()
        form.locator("input[name=measures_0][value=admonishment]").check()

    staff.take("jt-unit-education", number, "作出问责决定", decide)
    expect(page.locator("section.case")).to_contain_text("已作出决定")
    decided = jt.user("jt-unit-education").get("review", "/v1/cases", matter_id=matter_id)[0]["decision"]
    assert decided["simplified"] is True and decided["measures"][0]["measures"] == ["admonishment"]
    staff.wait_for_stage(number, "已作出问责决定", "执行中", "执行完毕")
    staff.wait_for_timeline_entry(number, "作出问责决定")

    # The execution's month for the formalities rests on an interpretation point (does the month
    # move off a rest day?): the matter page names it beside the article, in the pack's words,
    # with the reading it was read under, linked to its explanation.
    staff.wait_for_execution(number)
    execution = page.locator("section.executions .execution").first
    expect(execution).to_contain_text(MEASURES["admonishment"])
    expect(execution.locator(".deadline")).to_contain_text("坛作组办〔2019〕2号 第十九条第一款")
    reading = execution.locator(".deadline li.reading[data-point=completion_month_rest_day]")
    expect(reading).to_contain_text(" ".join(REST_DAY.question.split()))
    expect(reading).to_contain_text(f"按“{REST_DAY.reading(REST_DAY.default).label}”（规则包默认解读）")
    staff.screenshot("matter-execution")
    reading.locator("a").click()
    page.wait_for_load_state()
    expect(page.locator("select[name='r.completion_month_rest_day']")).to_have_value(REST_DAY.default)
    staff.open_matter(number)

    # The month's figures show the decision once reporting has read it, with the charts drawn by
    # reporting and fetched by the console with the user's token.
    staff.sign_in("jt-conduct-office")
    wait_for_report(staff, MEASURES["admonishment"])
    stamp = page.locator("section.stamp")
    expect(stamp).to_contain_text("坛作组办〔2019〕2号")
    expect(stamp).to_contain_text("各级党组织每半年分析一次问责工作")
    staff.expect_chinese("section.stamp")
    expect(page.locator("section.totals")).to_contain_text("作出问责决定的事项")
    images = page.locator("section.charts img")
    expect(images).to_have_count(3)
    for index in range(3):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    chart = page.request.get(console.url + (images.first.get_attribute("src") or ""))
    assert chart.status == 200 and chart.headers["content-type"] == "image/png"
    assert chart.body()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as download:
        page.locator(".exports a", has_text="Excel").click()
    assert download.value.suggested_filename.startswith("jintan-monthly-")
    assert download.value.suggested_filename.endswith(".xlsx")
    staff.screenshot("reports")

    # An explanation that rests on an interpretation point: the after-effects of an admonishment,
    # read under the reading in force (the pack's default until the commission chooses).
    page.goto(
        staff.url(
            "/rules/explain?decision=conduct_after_effects&run=1"
            f"&on={PACK.today().isoformat()}&f.decided_on={PACK.today().isoformat()}"
            "&f.measures=admonishment&f.leading_cadre=true"
        )
    )
    expect(page.locator("dd.out-no_promotion_until")).to_be_visible()
    expect(page.locator("section.interpretations")).to_contain_text("（规则包默认解读）")
    expect(page.locator("section.fired .citation").first).to_be_visible()
    # The rules that fired and the points they rest on in the pack's Chinese.
    expect(page.locator("section.fired")).to_contain_text("受到诫勉的，六个月内不得提拔或重用")
    expect(page.locator("section.interpretations")).to_contain_text("第十九条第一款规定决定作出后一个月内办结相关手续")
    staff.expect_chinese()
    staff.screenshot("explain")

    decision_id = mark_typical(staff, number)

    # A Kunshan user signed in to Kunshan finds no such matter, by number or by id.
    kunshan = Staff(page, console, "kunshan")
    kunshan.sign_in("ks-intake")
    for reference in (number, matter_id):
        kunshan.expect_not_found(f"/matters/{reference}", "孙晓")
    # Nor the case in Kunshan's case library, its list or its draft notice, and marking it from
    # Kunshan is refused in words: reporting knows no such case in Kunshan.
    page.goto(kunshan.url("/cases"))
    expect(page.locator("section.notice")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("孙晓")
    expect(page.locator("main")).not_to_contain_text(number)
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    refused = page.request.post(
        kunshan.url(f"/cases/{decision_id}/typical"),
        form={"csrf_token": csrf, "reason": "跨地区标记", "year": str(PACK.today().year)},
    )
    assert refused.status == 404
    assert "没有这一已决案例" in refused.text()
    staff.expect_sign_in_asked(f"/matters/{number}")


def mark_typical(staff: Staff, number: str) -> str:
    """The conduct office, which curates the case library, marks the decided matter a typical
    case and finds it in the month's typical cases and the draft public notice; a member of the
    commission, who reads reports but does not curate, is offered neither marks nor the notice.
    Returns the case's decision id."""
    page = staff.page
    staff.sign_in("jt-commission")
    page.goto(staff.url("/cases"))
    expect(page.locator("h1")).to_contain_text("典型案例")
    expect(page.locator("section.cases")).to_be_visible()
    expect(page.locator("section.notice")).to_have_count(0)
    expect(page.locator("form.mark")).to_have_count(0)

    staff.sign_in("jt-conduct-office")
    page.locator("nav a", has_text="典型案例").click()
    row = page.locator("table.library tr", has_text=number)
    expect(row).to_contain_text("孙晓")
    expect(row).to_contain_text(MEASURES["admonishment"])
    decision_id = (row.get_attribute("id") or "").removeprefix("case-")
    expect(page.locator("section.notice")).to_contain_text("本月没有标记为典型的问责案例")

    # Without its CSRF token the form is refused and nothing is marked.
    form = row.locator("form.mark")
    form.locator("textarea[name=reason]").fill("窗口服务超期，群众反映强烈，具有警示意义")
    form.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    form.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("未执行")
    page.goto(staff.url("/cases"))
    expect(page.locator("table.library tr.typical")).to_have_count(0)

    # A reason is required, as reporting requires it: the refusal shows above the form.
    row.locator("form.mark button[type=submit]").click()
    expect(row.locator(".refused")).to_contain_text("理由：必须填写")

    row.locator("form.mark textarea[name=reason]").fill("窗口服务超期，群众反映强烈，具有警示意义")
    row.locator("form.mark button[type=submit]").click()
    expect(row.locator(".typical-mark")).to_have_text("典型")
    expect(row.locator("form.withdraw")).to_be_visible()
    notice = page.locator("section.notice")
    expect(notice).to_contain_text("1 件典型案例")
    expect(notice).to_contain_text("一、区教育局科员孙晓")
    expect(notice).to_contain_text("坛作组办〔2019〕2号")
    page.locator("form.period input[name=typical]").check()
    page.locator("form.period button[type=submit]").click()
    expect(page.locator("table.library tr")).to_have_count(2)
    expect(page.locator("table.library")).to_contain_text(number)
    staff.expect_chinese()
    staff.screenshot("library")
    with page.expect_download() as download:
        page.locator(".exports a", has_text="CSV").click()
    anonymised = download.value.path().read_text(encoding="utf-8-sig")
    assert "孙晓" not in anonymised and number not in anonymised
    return decision_id


def wait_for_report(staff: Staff, measure_label: str) -> None:
    """Reload this month's report until its measures hold ``measure_label``: reporting reads
    each event contract through a consumer of its own."""
    deadline = time.monotonic() + WAIT_SECONDS
    page = staff.page
    while True:
        page.goto(staff.url("/reports"))
        expect(page.locator("h1")).to_contain_text("统计报表")
        if page.locator("section.figures", has_text="按问责措施").locator("td", has_text=measure_label).count():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"this month's report never showed {measure_label}")
        time.sleep(0.5)
