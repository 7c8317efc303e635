"""Every YAML case of every pack, one test each, plus the coverage check.

Coverage fails when a rule of a pack is fired by no case, or when an article marked as
deciding in a document's index is cited by no rule, intake source or numbering pattern:
either the pack does not encode the article yet or the cases do not exercise the rule.
"""

from __future__ import annotations

import pytest

from wenze.rules import get_pack, list_tenants
from wenze.rules.cases import Case, all_cases, run_case

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    result = run_case(case)
    assert result.ok, "\n".join(result.failures)


def _fired_by_cases(tenant: str) -> set[str]:
    return {rule for case in CASES if case.tenant == tenant for rule in run_case(case).fired}


@pytest.mark.parametrize("tenant", list_tenants())
def test_every_rule_is_fired_by_some_case(tenant: str) -> None:
    pack = get_pack(tenant)
    fired = _fired_by_cases(tenant)
    never = sorted(
        f"{d.name}:{rule.id}"
        for info in pack.decisions()
        for d in [pack.decision(info.name)]
        for rule in d.rules()
        if rule.id not in fired
    )
    assert not never, f"rules no case fires: {never}"


@pytest.mark.parametrize("tenant", list_tenants())
def test_every_deciding_article_is_cited(tenant: str) -> None:
    pack = get_pack(tenant)
    uncited = [c.text for c in pack.deciding_articles() if (c.document, c.article) not in pack.cited]
    assert not uncited, f"deciding articles no rule cites: {uncited}"


def test_kunshan_has_cases_for_every_decision() -> None:
    decided = {c.data.get("decision") for c in CASES if c.tenant == "kunshan"}
    assert {d.name for d in get_pack("kunshan").decisions()} <= decided
