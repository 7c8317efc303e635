"""No routing decision of the shipped packs names an interpretation point, so no slip's
explanation names one today (the test below checks that it is still so). The routing step is
nonetheless evaluated with the tenant's readings in force, and a slip's explanation lists the
points a routing decision depended on: shown here on a test variant of the Kunshan pack whose
routing decision names the monthly figures' rest-day point. The variant is a test construct,
not the law."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from wenze.events import TargetSnapshot
from wenze.rules import RulePack, get_pack, list_tenants, rulesets_dir
from wenze.rules.facts import matter_facts, target_facts
from wenze_routing.slips.service import choose_procedure, evaluate_routing, interpretations_explained

ON = dt.date(2026, 5, 15)
POINT = "monthly_figures_rest_day"


def test_no_shipped_routing_decision_names_a_point() -> None:
    named = {
        (tenant, point.id)
        for tenant in list_tenants()
        for point in get_pack(tenant).points
        for decision in point.affects
        if decision in {"routing", "matter_routing"} or decision.endswith("_routing")
    }
    assert named == set(), "a routing decision now names a point: its slips' explanations list it"


def variant(tmp_path: Path) -> RulePack:
    base = tmp_path / "kunshan"
    shutil.copytree(rulesets_dir() / "kunshan", base)
    routing = base / "decisions" / "routing.yaml"
    text = routing.read_text("utf-8")
    marker = "relevant_date: the date the matter is routed\n"
    assert marker in text
    routing.write_text(text.replace(marker, marker + f"points: [{POINT}]\n", 1), "utf-8")
    return RulePack(base)


def test_the_routing_step_reads_the_readings_it_is_given_and_the_explanation_names_them(tmp_path: Path) -> None:
    pack = variant(tmp_path)
    target = TargetSnapshot(
        kind="person", name="张明", unit="市住房和城乡建设局", cadre_level="city_managed", sector="city_department"
    )
    facts = matter_facts("other", False, None, [target]) | target_facts(target)
    choice, error = choose_procedure(pack, facts, ON)
    assert error is None and choice is not None, error

    by_default, error = evaluate_routing(pack, None, facts, ON, choice.procedure, {})
    assert error is None and by_default is not None, error
    (default_entry,) = interpretations_explained(by_default)
    assert default_entry["rule"] == POINT
    assert default_entry["outputs"] == {"reading": "fixed_28th", "label": "28日，不顺延", "default": True}

    chosen, error = evaluate_routing(pack, None, facts, ON, choice.procedure, {POINT: "next_working_day"})
    assert error is None and chosen is not None, error
    (entry,) = interpretations_explained(chosen)
    assert (entry["table"], entry["outputs"]["reading"], entry["outputs"]["default"]) == (
        "interpretation",
        "next_working_day",
        False,
    )
    assert [f"{c['document']} {c['article']}" for c in entry["citations"]] == ["昆纪办发〔2019〕19号 五.1"]
    # The readings change nothing the routing rules decide: they read no parameter of the point.
    assert chosen.outcome == by_default.outcome
