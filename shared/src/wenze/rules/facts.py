"""The facts the services pass to a pack's workflow steps, named as docs/workflow.md lists them.

Routing and review both describe a matter and its targets to the rules; keeping the mapping in
one place keeps the two services giving every pack the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _get(target: Any, name: str) -> Any:
    return target.get(name) if isinstance(target, Mapping) else getattr(target, name, None)


def matter_facts(
    source: str, key_supervised: bool, proposed_form: str | None, targets: Sequence[Any]
) -> dict[str, Any]:
    """Matter-level facts; ``targets`` are target snapshots or their JSON form."""
    places = {_get(t, "unit") or _get(t, "sector") for t in targets} - {None, ""}
    return {
        "source": source,
        "key_supervised": key_supervised,
        "proposed_forms": [proposed_form] if proposed_form else [],
        "multiple_parties": len(places) > 1,
        "target_count": len(targets),
    }


def target_facts(target: Any) -> dict[str, Any]:
    """One target's facts; absent ones are left out so the pack's defaults apply."""
    facts = {
        "target_kind": _get(target, "kind"),
        "cadre_level": _get(target, "cadre_level"),
        "organisation_level": _get(target, "org_level"),
        "sector": _get(target, "sector"),
        "party_member": _get(target, "party_member"),
    }
    return {k: v for k, v in facts.items() if v is not None}
