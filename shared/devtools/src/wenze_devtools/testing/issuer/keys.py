"""Realm signing keys in the shapes Keycloak publishes them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """An RSA key with a stable ``kid`` (its RFC 7638 thumbprint) and a self-signed cert."""

    private_key: rsa.RSAPrivateKey
    subject: str = "wenze"

    @cached_property
    def _public_numbers(self) -> rsa.RSAPublicNumbers:
        return self.private_key.public_key().public_numbers()

    @cached_property
    def kid(self) -> str:
        numbers = self._public_numbers
        canonical = json.dumps(
            {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
            separators=(",", ":"),
            sort_keys=True,
        )
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    @cached_property
    def certificate_der(self) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.subject)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .sign(self.private_key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.DER)

    @property
    def public_key_b64(self) -> str:
        """Base64 DER SubjectPublicKeyInfo without PEM armour, as ``GET /realms/{r}`` gives it."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    @property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_jwk(self) -> dict[str, Any]:
        numbers = self._public_numbers
        cert = self.certificate_der
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "x5c": [base64.b64encode(cert).decode("ascii")],
            "x5t": base64.urlsafe_b64encode(hashlib.sha1(cert).digest()).rstrip(b"=").decode("ascii"),
            "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(cert).digest()).rstrip(b"=").decode("ascii"),
        }


def generate_signing_key(subject: str = "wenze") -> SigningKey:
    """A fresh 2048-bit RSA key; also what tests use to forge a token no realm published."""
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), subject)


def load_or_create_key(key_dir: Path, realm: str) -> SigningKey:
    """The realm's key from ``<key_dir>/<realm>.pem``, created there on first use.

    Keeping keys on disk lets a restarted issuer accept the tokens it issued before.
    """
    path = key_dir / f"{realm}.pem"
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return SigningKey(loaded, realm)
    key = generate_signing_key(realm)
    key_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_pem)
    path.chmod(0o600)
    return key
