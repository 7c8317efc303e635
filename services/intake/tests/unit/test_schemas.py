from __future__ import annotations

import base64
import datetime as dt

import pytest
from pydantic import ValidationError

from wenze.problems import BadRequest
from wenze_intake.matters.models import Matter
from wenze_intake.matters.repository import decode_cursor, encode_cursor
from wenze_intake.matters.schemas import MatterCreate


def body(**extra) -> dict:
    return {
        "source": "city_government",
        "summary": " 摘要 ",
        "facts": "事实",
        "targets": [{"kind": "unknown", "sector": "town"}],
        **extra,
    }


def test_strings_are_stripped_and_targets_discriminated() -> None:
    matter = MatterCreate.model_validate(body())
    assert matter.summary == "摘要"
    assert matter.targets[0].kind == "unknown"


@pytest.mark.parametrize(
    "extra,field",
    [
        ({"summary": "a\x00b"}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"targets": []}, "targets"),
        ({"targets": [{"kind": "person", "cadre_level": "city_managed"}]}, "name"),
        ({"targets": [{"kind": "alien"}]}, "targets"),
        ({"source": "Bad Source!"}, "source"),
        ({"attachments": [{"name": "a", "size": -1, "media_type": "text/plain", "sha256": "0" * 64}]}, "size"),
        ({"attachments": [{"name": "a", "size": 1, "media_type": "text", "sha256": "0" * 64}]}, "media_type"),
    ],
)
def test_invalid_bodies_name_the_field(extra: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MatterCreate.model_validate(body(**extra))
    assert any(field in ".".join(map(str, e["loc"])) for e in caught.value.errors())


def test_cursor_round_trip_and_garbage() -> None:
    matter = Matter(id="b3c1", year=2026, seq=100007, received_at=dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC))
    assert decode_cursor(encode_cursor(matter)) == (matter.received_at, 2026, 100007)
    with pytest.raises(BadRequest):
        decode_cursor("%%%")
    with pytest.raises(BadRequest):
        # A cursor of the earlier shape (time and id) is refused, not misread.
        decode_cursor(base64.urlsafe_b64encode(b"2026-05-01T08:00:00+00:00|b3c1").decode())
