"""A person's stable reference, derived from their resident identity number (公民身份号码).

The number identifies a person across units and posts, which a name and a unit cannot; it is
also personal data the platform has no need to keep. Intake (and sanction-execution, for a
look-up) checks the number against GB 11643 and turns it straight into a reference: an
HMAC-SHA256 under the deployment's secret, over the tenant and the number. The number itself
is never stored, logged or published (ADR 0044).

- Keyed, not a plain hash: the numbers are few enough (regions × birth dates × sequences) to
  hash them all, so an unkeyed digest would give the number back to anyone with the event.
- Per tenant: the same person in two tenants gets two unrelated references; a tenant's data
  says nothing about who appears in another's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Annotated

from pydantic import AfterValidator, SecretStr

IDENTITY_NUMBER_LENGTH = 18
# GB 11643-1999: the weights of the seventeen digits, and the check character each
# remainder mod 11 gives.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"\d{17}[\dX]")
# The key of `make run` and the tests; every deployment sets its own (docs/operations.md).
DEVELOPMENT_KEY = "wenze-development-person-reference-key"


class IdentityNumberInvalid(ValueError):
    """The reason a text is no resident identity number, in words that never repeat the text."""


def check_character(first_seventeen: str) -> str:
    """The GB 11643 check character of an identity number's first seventeen digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_seventeen, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def normalised_identity_number(text: str) -> str:
    """``text`` as an identity number (spaces dropped, a final x upper-cased), or
    :class:`IdentityNumberInvalid` saying what is wrong with it."""
    number = "".join(text.split()).upper()
    if len(number) != IDENTITY_NUMBER_LENGTH:
        raise IdentityNumberInvalid(
            f"is not a resident identity number: it has {len(number)} characters, one has {IDENTITY_NUMBER_LENGTH}"
        )
    if not _SHAPE.fullmatch(number):
        raise IdentityNumberInvalid(
            "is not a resident identity number: the first 17 characters must be digits and the last a digit or X"
        )
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityNumberInvalid(
            "is not a resident identity number: characters 7 to 14 are not a date of birth"
        ) from None
    if check_character(number[:17]) != number[17]:
        raise IdentityNumberInvalid(
            "is not a resident identity number: its last character does not match the check digit "
            "of the first 17 (GB 11643); it is probably mistyped"
        )
    return number


# A request or file field holding an identity number: validated, normalised; its errors never
# carry the input (wenze.http.problems leaves pydantic's ``input`` out of problem details).
IdentityNumber = Annotated[str, AfterValidator(normalised_identity_number)]


class PersonReferences:
    """Derives the tenant-scoped reference of an identity number under the deployment's key."""

    def __init__(self, key: SecretStr | str):
        secret = key.get_secret_value() if isinstance(key, SecretStr) else key
        if not secret:
            raise ValueError("the person reference key is empty")
        self._key = secret.encode()

    def reference(self, tenant: str, identity_number: str) -> str:
        """The person's reference in ``tenant``: 64 hex characters. ``identity_number`` is
        normalised (and refused when invalid) first, so "…x" and "…X" are one person."""
        number = normalised_identity_number(identity_number)
        # The tenant is a part of the message, not of the key's derivation, with a separator
        # no tenant code or number contains: ("ab", "c…") and ("a", "bc…") stay apart.
        message = f"{tenant}\x1f{number}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
