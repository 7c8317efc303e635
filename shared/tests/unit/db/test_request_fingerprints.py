"""An Idempotency-Key's fingerprint is keyed: a body holding an identity number cannot be
recovered from it by hashing every candidate number."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from wenze.db.idempotency import RequestFingerprints, plain_digest
from wenze.persons import DEVELOPMENT_KEY

KEY = "a-deployment-person-reference-key"
PARTS = ("ks-intake", "POST", "/v1/matters", b'{"identity_number": "320583198506150030"}')


def test_the_fingerprint_is_no_plain_sha256_of_the_request() -> None:
    fingerprint = RequestFingerprints(KEY).of(*PARTS)

    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert fingerprint != plain_digest(*PARTS)
    assert fingerprint != hashlib.sha256(b"".join(p.encode() if isinstance(p, str) else p for p in PARTS)).hexdigest()


def test_the_same_request_under_the_same_key_has_the_same_fingerprint() -> None:
    assert RequestFingerprints(KEY).of(*PARTS) == RequestFingerprints(SecretStr(KEY)).of(*PARTS)
    assert RequestFingerprints(KEY).of(*PARTS) != RequestFingerprints(KEY).of(*PARTS[:3], PARTS[3] + b" ")
    # The separator keeps the parts apart: ("ab", "c") is not ("a", "bc").
    assert RequestFingerprints(KEY).of("ab", "c") != RequestFingerprints(KEY).of("a", "bc")


def test_another_key_gives_another_fingerprint() -> None:
    assert RequestFingerprints(KEY).of(*PARTS) != RequestFingerprints(DEVELOPMENT_KEY).of(*PARTS)


def test_the_key_is_derived_for_fingerprints_not_the_person_reference_key_itself() -> None:
    """An HMAC under the person reference key as it is would sign what persons' references sign."""
    under_the_reference_key = hmac.new(KEY.encode(), digestmod=hashlib.sha256)
    for part in PARTS:
        under_the_reference_key.update(part.encode() if isinstance(part, str) else part)
        under_the_reference_key.update(b"\x1f")
    assert RequestFingerprints(KEY).of(*PARTS) != under_the_reference_key.hexdigest()


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        RequestFingerprints(SecretStr(""))
