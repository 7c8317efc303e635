"""A pack's time zone decides what "today" and a document's issue date are for its tenant."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from wenze.rules import clear_cache, get_pack, lint_pack, rulesets_dir


@pytest.fixture
def kunshan_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(rulesets_dir() / "kunshan", tmp_path / "kunshan")
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path / "kunshan" / "pack.yaml"
    clear_cache()


def test_an_instant_late_on_new_years_eve_utc_is_already_the_next_year_in_china() -> None:
    pack = get_pack("kunshan")
    instant = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)
    assert str(pack.time_zone) == "Asia/Shanghai"
    assert pack.local_date(instant) == dt.date(2027, 1, 1)


def test_another_zone_moves_the_tenants_date(kunshan_copy: Path) -> None:
    text = kunshan_copy.read_text(encoding="utf-8").replace("time_zone: Asia/Shanghai", "time_zone: Europe/Lisbon")
    kunshan_copy.write_text(text, encoding="utf-8")
    pack = get_pack("kunshan")
    assert pack.local_date(dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)) == dt.date(2026, 12, 31)


def test_an_unknown_zone_is_a_lint_issue(kunshan_copy: Path) -> None:
    text = kunshan_copy.read_text(encoding="utf-8").replace("time_zone: Asia/Shanghai", "time_zone: Mars/Olympus")
    kunshan_copy.write_text(text, encoding="utf-8")
    issues = lint_pack("kunshan")
    assert [(i.file, i.location) for i in issues] == [("pack.yaml", "time_zone")]
    assert "Mars/Olympus" in issues[0].message
