"""Input string types that reject what the database or the reader cannot take."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

# NUL cannot be stored in PostgreSQL text; other C0 controls (except tab and newlines) are
# never meaningful in a matter and usually mean a broken encoder upstream.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters (such as NUL), which are not allowed")
    return value


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A stripped, non-empty string of at most ``max_length`` characters without control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_characters),
    ]


Name = text(200)
ShortText = text(500)
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,59}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
