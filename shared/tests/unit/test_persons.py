from __future__ import annotations

import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError

from wenze.config import ServiceSettings
from wenze.persons import (
    DEVELOPMENT_KEY,
    IdentityNumber,
    IdentityNumberInvalid,
    PersonReferences,
    check_character,
    normalised_identity_number,
)

# The example of GB 11643-1999 itself, whose check character is X.
STANDARD_EXAMPLE = "11010519491231002X"


@pytest.mark.parametrize(
    ("first_seventeen", "expected"),
    [("11010519491231002", "X"), ("32048219800101001", "4"), ("32058319850615003", "0"), ("42010619790303004", "5")],
)
def test_check_character_follows_gb_11643(first_seventeen: str, expected: str) -> None:
    assert check_character(first_seventeen) == expected


def test_a_valid_number_is_normalised_not_refused() -> None:
    assert normalised_identity_number(STANDARD_EXAMPLE) == STANDARD_EXAMPLE
    assert normalised_identity_number(" 110105 19491231 002x ") == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("11010519491231002", "it has 17 characters, one has 18"),
        ("1101051949123100X2", "first 17 characters must be digits"),
        ("110105194913310023", "not a date of birth"),
        ("110105194912310021", "does not match the check digit"),
        ("320482198001010015", "does not match the check digit"),
    ],
)
def test_a_bad_number_is_refused_in_words_that_do_not_repeat_it(text: str, reason: str) -> None:
    with pytest.raises(IdentityNumberInvalid) as refused:
        normalised_identity_number(text)
    assert reason in str(refused.value)
    assert text not in str(refused.value)


def test_the_pydantic_type_refuses_without_echoing_the_input_in_its_message() -> None:
    adapter = TypeAdapter(IdentityNumber)
    assert adapter.validate_python("11010519491231002x") == STANDARD_EXAMPLE
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python("110105194912310021")
    assert "check digit" in refused.value.errors()[0]["msg"]
    assert "110105194912310021" not in refused.value.errors()[0]["msg"]


def test_the_reference_is_a_keyed_hash_scoped_per_tenant() -> None:
    references = PersonReferences(SecretStr("a-deployment-secret-of-some-length"))
    kunshan = references.reference("kunshan", "320482198001010014")
    assert len(kunshan) == 64 and int(kunshan, 16) >= 0
    assert "320482198001010014" not in kunshan
    # The same number gives the same reference in a tenant, whatever the spacing or case.
    assert references.reference("kunshan", " 3204821980 01010014") == kunshan
    assert references.reference("kunshan", "11010519491231002x") == references.reference("kunshan", STANDARD_EXAMPLE)
    # Another person, another tenant, another key: another reference.
    assert references.reference("kunshan", "320482198001010022") != kunshan
    assert references.reference("jintan", "320482198001010014") != kunshan
    assert PersonReferences("another-deployment-secret").reference("kunshan", "320482198001010014") != kunshan


def test_the_reference_refuses_an_invalid_number_and_an_empty_key() -> None:
    with pytest.raises(IdentityNumberInvalid):
        PersonReferences(DEVELOPMENT_KEY).reference("kunshan", "320482198001010015")
    with pytest.raises(ValueError, match="empty"):
        PersonReferences("")


def test_settings_carry_the_key_from_the_platform_wide_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServiceSettings().person_reference_key.get_secret_value() == DEVELOPMENT_KEY
    monkeypatch.setenv("WENZE_PERSON_REFERENCE_KEY", "the-deployment-secret-value")
    settings = ServiceSettings()
    assert settings.person_reference_key.get_secret_value() == "the-deployment-secret-value"
    assert "the-deployment-secret-value" not in repr(settings)
    monkeypatch.setenv("WENZE_PERSON_REFERENCE_KEY", "short")
    with pytest.raises(ValidationError):
        ServiceSettings()
