"""What the console shows from a pack is written in Chinese: the linter refuses a pack whose
rule or decision description, interpretation point question, reading label or reason, article
summary or deadline name reads as English (or is missing, for a rule). Such a pack still loads."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from wenze.rules import clear_cache, get_pack, lint_pack, list_tenants, rulesets_dir
from wenze.rules.words import reads_as_chinese

TENANTS = ("hubei", "jintan", "kunshan", "zhenxiong")


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for tenant in list_tenants():
        shutil.copytree(rulesets_dir() / tenant, tmp_path / tenant)
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path
    clear_cache()


def rewrite(path: Path, pattern: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, new, text, count=1, flags=re.M)
    assert count == 1, pattern
    path.write_text(changed, encoding="utf-8")


def messages(tenant: str) -> list[str]:
    return [str(issue) for issue in lint_pack(tenant)]


def test_every_text_the_console_shows_from_the_shipped_packs_is_chinese() -> None:
    for tenant in TENANTS:
        pack = get_pack(tenant)
        shown: list[tuple[str, str]] = []
        for info in pack.decisions():
            shown.append((f"decision {info.name}", info.description))
            decision = pack.decision(info.name)
            shown += [(f"rule {info.name}/{rule.id}", rule.description) for rule in decision.rules()]
        for point in pack.points:
            shown.append((f"point {point.id}", point.question))
            shown.append((f"point {point.id} default", point.default_reason))
            for reading in point.readings:
                shown += [(f"reading {point.id}/{reading.id}", reading.label), (reading.id, reading.reason)]
        for document in pack.documents:
            shown += [(f"article {a.text}", a.summary) for a in document.articles]
        english = [(where, text) for where, text in shown if not reads_as_chinese(text)]
        assert english == [], (tenant, english[:5])
        assert lint_pack(tenant) == [], tenant


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("五.1 要求月度数据“每月28日前”报送。", True),
        ("第三、四种形态交审查调查室办理（附件2 第五条）。", True),
        ("平台按决定作出之时计数（审理服务的 decision.made）。", True),
        ("The figures are due by the 28th.", False),
        ('Does "每月28日前" include the 28th itself?', False),
        ("", False),
    ],
)
def test_what_reads_as_chinese(text: str, chinese: bool) -> None:
    assert reads_as_chinese(text) is chinese


def test_an_english_point_question_fails_the_linter(packs: Path) -> None:
    rewrite(
        packs / "kunshan" / "pack.yaml",
        r"^    question: .*28日为休息日时.*$",
        "    question: When the 28th is a rest day, is the deadline that day or the next working day?",
    )
    found = messages("kunshan")
    assert any(
        "pack.yaml interpretation_points/monthly_figures_rest_day: the question is shown on the console's" in m
        for m in found
    ), found


def test_an_english_reading_reason_fails_the_linter(packs: Path) -> None:
    rewrite(
        packs / "kunshan" / "pack.yaml",
        r"^        reason: \"月底汇总紧随其后.*$",
        "        reason: The month-end summary follows days later.",
    )
    assert any("readings/fixed_28th: the reason is shown" in m for m in messages("kunshan"))


def test_an_english_or_missing_rule_description_fails_the_linter(packs: Path) -> None:
    reporting = packs / "kunshan" / "decisions" / "reporting.yaml"
    rewrite(
        reporting,
        r"^        description: \"每月将当月案例录入案例库一次。\"$",
        "        description: Cases enter the library monthly.",
    )
    rewrite(reporting, r"^        description: \"联系的区镇和部门每半年.*\n", "")
    found = messages("kunshan")
    assert any("schedule/case_library_monthly/description: the description is shown" in m for m in found), found
    assert any("schedule/half_year_analysis/description: the description is shown" in m for m in found), found
    # The linter reports it; the pack still loads (a pack written for a test need not be translated).
    assert get_pack("kunshan").decision("reporting") is not None


def test_an_english_decision_description_article_summary_or_deadline_name_fails_the_linter(packs: Path) -> None:
    execution = packs / "kunshan" / "decisions" / "execution.yaml"
    rewrite(execution, r"^(  copy_decision_due: \{type: deadline, description: ).*\}$", r"\1decision materials copied}")
    rewrite(
        packs / "kunshan" / "decisions" / "intake.yaml", r"^description: .*$", "description: Who receives a matter."
    )
    rewrite(
        packs / "kunshan" / "documents.yaml",
        r"^        summary: \"上级纪委监委交办的事项。\"$",
        '        summary: "Matters assigned by the higher-level commission."',
    )
    found = messages("kunshan")
    assert any("execution.yaml outputs/copy_decision_due/description" in m for m in found), found
    assert any("intake.yaml description: the description is shown" in m for m in found), found
    assert any("documents.yaml 昆纪办发〔2019〕19号 一.1: the summary is shown" in m for m in found), found
