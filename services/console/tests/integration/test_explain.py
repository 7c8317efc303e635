"""The rule browser's explanation of a decision, evaluated by the console from the tenant's pack
for a signed-in user; and what the reports page says about its own parameters and an unreachable
reporting service. No service answers here: routing's choices of reading are unreachable, so the
pack's defaults apply and the page says so."""

from __future__ import annotations

import httpx

from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess

from .signin import sign_in

SIMPLIFIED = "/t/jintan/rules/explain"


def _simplified(browser: httpx.Client, **facts: object) -> httpx.Response:
    params: list[tuple[str, str]] = [("decision", "conduct_simplified_procedure"), ("run", "1"), ("on", "2026-12-04")]
    for name, value in facts.items():
        for item in value if isinstance(value, list) else [value]:
            params.append((f"f.{name}", str(item)))
    return browser.get(SIMPLIFIED, params=params)


def test_a_decisions_outcome_is_explained_with_its_articles(console: ServiceProcess) -> None:
    pack = get_pack("jintan")
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        sign_in(browser, "jintan", "jt-conduct-office")
        picker = browser.get(SIMPLIFIED)
        assert picker.status_code == 200 and "作风问责：简易程序" in picker.text
        form = browser.get(SIMPLIFIED, params={"decision": "conduct_simplified_procedure"})
        assert form.status_code == 200
        # The form is the decision's inputs, in the pack's words.
        assert 'name="f.source"' in form.text and pack.vocabulary["intake_sources"]["unit_self_found"] in form.text
        assert 'name="f.measures" value="admonishment"' in form.text and "事实清楚" in form.text

        lighter = _simplified(browser, source="unit_self_found", facts_clear="true", measures="admonishment")
        assert lighter.status_code == 200, lighter.text
        outcome = lighter.text.split('class="outcome"', 1)[1]
        assert '可适用简易程序</dt><dd class="out-simplified_allowed">是' in outcome
        assert "坛作组办〔2019〕2号 第十六条" in outcome and "第十五条第一款" in outcome

        heavier = _simplified(
            browser, source="unit_self_found", facts_clear="true", measures=["admonishment", "organisational_measure"]
        )
        assert heavier.status_code == 200
        assert '可适用简易程序</dt><dd class="out-simplified_allowed">否' in heavier.text
        assert f'out-prior_approval_by">{pack.vocabulary["offices"]["conduct_office"]}' in heavier.text

        missing = _simplified(browser, source="unit_self_found", measures="admonishment")
        assert missing.status_code == 422 and "事实清楚：必须填写" in missing.text
        assert 'class="outcome"' not in missing.text
        unknown = browser.get(SIMPLIFIED, params={"decision": "no_such_decision"})
        assert unknown.status_code == 404 and "没有这项判断" in unknown.text


def test_the_reading_of_an_interpretation_point_is_shown_and_may_be_tried_otherwise(console: ServiceProcess) -> None:
    pack = get_pack("zhenxiong")
    level = next(iter(pack.vocabulary["cadre_levels"]))
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        sign_in(browser, "zhenxiong", next(iter(_users("wenze-zhenxiong"))))
        params = {
            "decision": "appeal_deadline",
            "run": "1",
            "on": "2026-12-04",
            "f.received_on": "2026-11-02",
            "f.cadre_level": level,
        }
        by_default = browser.get("/t/zhenxiong/rules/explain", params=params)
        assert by_default.status_code == 200, by_default.text
        assert "以下按规则包默认解读" in by_default.text
        assert 'out-suspends_execution">否' in by_default.text
        assert "申诉期间不停止执行”（规则包默认解读）" in by_default.text
        assert 'out-appeal_until">2026-11-17（自2026-11-02起15日）' in by_default.text
        stayed = browser.get("/t/zhenxiong/rules/explain", params={**params, "r.appeal_suspends_execution": "stay"})
        assert 'out-suspends_execution">是' in stayed.text and "申诉期间暂停执行" in stayed.text
        refused = browser.get("/t/zhenxiong/rules/explain", params={**params, "r.appeal_suspends_execution": "x"})
        assert refused.status_code == 422 and "没有这种解读" in refused.text
        # A link from an outcome read under a reading opens the fresh form with that reading chosen;
        # a reading the point does not have leaves the one in force.
        fresh = {"decision": "appeal_deadline", "on": "2026-11-02"}
        linked = browser.get("/t/zhenxiong/rules/explain", params={**fresh, "r.appeal_suspends_execution": "stay"})
        assert linked.status_code == 200 and '<option value="stay" selected>' in linked.text
        unknown = browser.get("/t/zhenxiong/rules/explain", params={**fresh, "r.appeal_suspends_execution": "x"})
        assert '<option value="no_stay" selected>' in unknown.text


def test_the_reports_page_names_a_parameter_that_does_not_fit(console: ServiceProcess) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as browser:
        sign_in(browser, "jintan", "jt-conduct-office")
        bad = browser.get("/t/jintan/reports", params={"month": "13"})
        assert bad.status_code == 400 and "月份：须为 1 至 12 之间的整数" in bad.text
        chart = browser.get("/t/jintan/reports/charts/pie", params={"year": "2026", "month": "1"})
        assert chart.status_code == 400 and "图表" in chart.text
        # Reporting does not answer here: the page says the service is unavailable, in words.
        unreachable = browser.get("/t/jintan/reports")
        assert unreachable.status_code == 502 and "服务暂不可用" in unreachable.text


def _users(realm: str) -> list[str]:
    from pathlib import Path

    import yaml

    import wenze_devtools.testing.issuer as issuer

    listed = yaml.safe_load((Path(issuer.__file__).parent / "demo_users" / f"{realm}.yaml").read_text(encoding="utf-8"))
    return [u["username"] for u in listed["users"]]
