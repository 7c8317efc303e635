"""The facts the services pass to a pack's workflow steps, named as docs/workflow.md lists them.

Routing and review both describe a matter and its targets to the rules; keeping the mapping in
one place keeps the two services giving every pack the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _get(target: Any, name: str) -> Any:
    return target.get(name) if isinstance(target, Mapping) else getattr(target, name, None)


def _place(target: Any) -> str | None:
    return _get(target, "unit") or _get(target, "sector") or None


def matter_facts(
    source: str, key_supervised: bool, proposed_form: str | None, targets: Sequence[Any]
) -> dict[str, Any]:
    """Matter-level facts; ``targets`` are target snapshots or their JSON form."""
    places = {_place(t) for t in targets} - {None}
    return {
        "source": source,
        "key_supervised": key_supervised,
        "proposed_forms": [proposed_form] if proposed_form else [],
        "multiple_parties": len(places) > 1,
        "target_count": len(targets),
    }


def whole_matter_facts(proposed_form: str | None, targets: Sequence[Any]) -> dict[str, Any]:
    """What the targets of one matter are together, for the pack's ``matter_routing`` step: the
    forms proposed across them (each target's own, else the matter's), their kinds and levels,
    and how many distinct places and levels they span. Codes are listed in first-seen order."""

    def distinct(values: Sequence[Any]) -> list[Any]:
        return [v for v in dict.fromkeys(values) if v is not None]

    forms = distinct([_get(t, "proposed_form") or proposed_form for t in targets])
    if not targets and proposed_form:
        forms = [proposed_form]
    cadre_levels = distinct([_get(t, "cadre_level") for t in targets])
    organisation_levels = distinct([_get(t, "org_level") for t in targets])
    return {
        "target_count": len(targets),
        "matter_forms": forms,
        "target_kinds": distinct([_get(t, "kind") for t in targets]),
        "cadre_levels": cadre_levels,
        "organisation_levels": organisation_levels,
        "place_count": len(distinct([_place(t) for t in targets])),
        "level_count": len(cadre_levels) + len(organisation_levels),
    }


def target_facts(target: Any) -> dict[str, Any]:
    """One target's facts; absent ones are left out so the pack's defaults (or the matter's
    proposed form) apply."""
    form = _get(target, "proposed_form")
    facts = {
        "target_kind": _get(target, "kind"),
        "cadre_level": _get(target, "cadre_level"),
        "organisation_level": _get(target, "org_level"),
        "sector": _get(target, "sector"),
        "party_member": _get(target, "party_member"),
        "proposed_forms": [form] if form else None,
    }
    return {k: v for k, v in facts.items() if v is not None}


# A target's attributes that hold codes of the pack, and the vocabulary each comes from.
TARGET_VOCABULARIES = (
    ("cadre_level", "cadre_levels"),
    ("sector", "sectors"),
    ("org_level", "organisation_levels"),
    ("proposed_form", "forms"),
)


def unknown_target_codes(vocabulary: Mapping[str, Mapping[str, str]], target: Any) -> list[tuple[str, str, Any]]:
    """``(attribute, vocabulary name, value)`` for each code of ``target`` its pack's
    ``vocabulary`` does not list; a pack without one of these vocabularies does not grade
    targets by it. Intake checks a matter's targets by it, review the targets an investigation
    identified: the rules classify a target by these codes."""
    unknown = []
    for attribute, name in TARGET_VOCABULARIES:
        value, known = _get(target, attribute), vocabulary.get(name)
        if value is not None and known is not None and value not in known:
            unknown.append((attribute, name, value))
    return unknown
