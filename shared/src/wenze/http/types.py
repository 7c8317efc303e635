"""Input string types that reject what the database or the reader cannot take."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, GetCoreSchemaHandler, StringConstraints
from pydantic_core import CoreSchema

# NUL cannot be stored in PostgreSQL text; other C0 controls (except tab and newlines) are
# never meaningful in a matter and usually mean a broken encoder upstream.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters (such as NUL), which are not allowed")
    return value


@dataclass(frozen=True)
class Text:
    """A stripped, non-empty string of at most ``max_length`` characters without control characters.

    Metadata for ``Annotated[str, Text(2_000)]``: a type checker accepts it where it would not
    accept a function call building the annotation.
    """

    max_length: int
    min_length: int = 1

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler(
            Annotated[
                source,
                StringConstraints(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length),
                AfterValidator(_no_control_characters),
            ]
        )


Name = Annotated[str, Text(200)]
# A user named in a request body, as long as Keycloak allows (wenze.db.base.USERNAME_LENGTH).
Username = Annotated[str, Text(255)]
ShortText = Annotated[str, Text(500)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,59}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
