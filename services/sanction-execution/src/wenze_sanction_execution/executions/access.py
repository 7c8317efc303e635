"""Who reads an execution and who may complete its steps, in the shared rule's terms
(:mod:`wenze.auth.access`): the offices party to it are the office that decided and carries it
out and every office or body its steps name; its target's level and unit give the rest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from wenze.auth.access import MatterAccess

OFFICE: Final = "office"
LEVEL: Final = "level"
UNIT: Final = "unit"


def execution_access(office: str, target: dict[str, Any], step_parties: Iterable[str | None]) -> MatterAccess:
    return MatterAccess.of(
        offices=[office, *step_parties],
        levels=[target.get("cadre_level"), target.get("org_level")],
        units=[target.get("unit")],
    )


def facts_of(access: MatterAccess) -> list[tuple[str, str]]:
    return [
        *((OFFICE, office) for office in sorted(access.offices)),
        *((LEVEL, level) for level in sorted(access.levels)),
        *((UNIT, unit) for unit in sorted(access.units)),
    ]
