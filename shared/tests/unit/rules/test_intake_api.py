"""The part of the rules API intake is built against: sources and numbering, all tenants."""

from __future__ import annotations

import re
from datetime import date

import pytest

from wenze.rules import (
    NoRuleTextLoadedError,
    OutOfPeriodError,
    RulesError,
    get_pack,
    list_tenants,
)

ON = date(2026, 4, 30)


def test_all_four_tenants_have_packs() -> None:
    assert set(list_tenants()) >= {"kunshan", "jintan", "zhenxiong", "hubei"}


@pytest.mark.parametrize(
    ("tenant", "expected"),
    [
        (
            "kunshan",
            [
                "higher_commission",
                "city_party_committee",
                "city_government",
                "inspection",
                "commission_found",
                "grassroots_or_media",
                "other",
            ],
        ),
        ("zhenxiong", ["petition_report", "media_exposure", "work_discovery", "leader_instruction"]),
        (
            "hubei",
            [
                "supervision_inspection",
                "wenzheng_transfer",
                "big_data_screening",
                "inspection_transfer",
                "petition",
                "other",
                "dual_investigation",
            ],
        ),
    ],
)
def test_intake_sources(tenant: str, expected: list[str]) -> None:
    sources = get_pack(tenant).intake_sources(ON)
    assert [s.code for s in sources] == expected
    for s in sources:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", s.code)
        assert s.label and s.citation.summary and s.citation.line


def test_kunshan_sources_cite_part_one_item_by_item() -> None:
    sources = get_pack("kunshan").intake_sources(ON)
    assert [s.citation.text for s in sources] == [f"昆纪办发〔2019〕19号 一.{i}" for i in range(1, 8)]
    assert sources[2].label == "市政府及有关职能部门移送"


def test_jintan_has_two_procedures() -> None:
    pack = get_pack("jintan")
    conduct = pack.intake_sources(ON, procedure="conduct")
    inspection = pack.intake_sources(ON, procedure="inspection_rectification")
    # Six channels of 第十二条 plus the unit's own finding of 第十六条 (simplified procedure).
    assert [s.citation.article for s in conduct] == [f"第十二条（{n}）" for n in "一二三四五六"] + ["第十六条"]
    assert all(s.citation.document == "坛作组办〔2019〕2号" for s in conduct)
    # 第七条（五） has two finders: the inspection group (its clue is checked by the inspection
    # office first) and the inspection office itself.
    assert [s.citation.article for s in inspection] == [f"第七条（{n}）" for n in "一二三四五五"]
    assert len(pack.intake_sources(ON)) == 13


def test_jintan_inspection_rectification_before_2023_has_no_rule_text() -> None:
    pack = get_pack("jintan")
    with pytest.raises(NoRuleTextLoadedError) as err:
        pack.intake_sources(date(2023, 4, 10), procedure="inspection_rectification")
    assert "坛办发〔2018〕50号" in str(err.value)
    assert err.value.detail["documents"][1]["in_force_from"] == "2023-04-11"
    # The first day of the 2023 measures is in force.
    assert len(pack.intake_sources(date(2023, 4, 11), procedure="inspection_rectification")) == 6
    # Conduct channels were already in force then; asking without a procedure gives them only.
    assert {s.procedure for s in pack.intake_sources(date(2023, 4, 10))} == {"conduct"}


def test_before_kunshan_document_is_out_of_period() -> None:
    with pytest.raises(OutOfPeriodError) as err:
        get_pack("kunshan").intake_sources(date(2019, 7, 18))
    assert not isinstance(err.value, NoRuleTextLoadedError)
    assert "昆纪办发〔2019〕19号" in str(err.value) and "2019-07-19" in str(err.value)
    assert get_pack("kunshan").intake_sources(date(2019, 7, 19))


@pytest.mark.parametrize(
    ("tenant", "expected"),
    [
        ("kunshan", "KS-2026-00042"),
        ("jintan", "JT-2026-00042"),
        ("zhenxiong", "ZX-2026-00042"),
        ("hubei", "HB-2026-00042"),
    ],
)
def test_matter_number(tenant: str, expected: str) -> None:
    assert get_pack(tenant).matter_number(2026, 42, ON) == expected


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("consultation", "昆纪委问商〔2026〕7号"),
        ("routing_slip", "昆纪委问分〔2026〕7号"),
        ("joint_review", "昆纪委问审〔2026〕7号"),
        ("organisational_measure_letter", "昆纪委办函〔2026〕7号"),
    ],
)
def test_kunshan_form_numbers(kind: str, expected: str) -> None:
    assert get_pack("kunshan").number(kind, 2026, 7, ON) == expected


def test_number_errors() -> None:
    pack = get_pack("kunshan")
    with pytest.raises(RulesError, match="no numbering kind"):
        pack.number("nonsense", 2026, 1, ON)
    with pytest.raises(RulesError):
        pack.number("consultation", 2026, 0, ON)
    with pytest.raises(OutOfPeriodError):
        pack.number("consultation", 2019, 1, date(2019, 1, 2))


def test_hubei_in_force_from_2016_04_30() -> None:
    pack = get_pack("hubei")
    with pytest.raises(OutOfPeriodError):
        pack.intake_sources(date(2016, 4, 29))
    assert pack.intake_sources(date(2016, 4, 30))


def test_sources_serialise_with_citation_text() -> None:
    data = get_pack("zhenxiong").intake_sources(ON)[0].model_dump(mode="json")
    assert data["citation"]["text"] == "镇雄县纪检监察干部工作责任追究办法（试行） 十三（一）"
    assert data["citation"]["source"] == "003_3ad04ae8f78bd944.txt"
