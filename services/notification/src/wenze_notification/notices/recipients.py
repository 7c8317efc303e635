"""Who a pack's notice goes to, for one matter and one event.

A pack names recipients by role (the unit that raised the matter, its handler, the offices it
is copied to, the person concerned, the office an event names) or by office or body code;
this turns them into parties: the pack's offices and bodies (with an in-app inbox) and parties
outside the platform, named ``source:<intake source>`` and ``person:<name>`` in the directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wenze.rules import RulePack
from wenze_notification.matters.models import KnownMatter
from wenze_notification.notices.models import RecipientKind

# The role that needs the matter's receipt to be known: where the matter came from.
ORIGINATING_UNIT = "originating_unit"


@dataclass(frozen=True)
class Party:
    kind: RecipientKind
    code: str
    label: str


def label_of(pack: RulePack, code: str) -> str:
    """The code's label in whichever of the pack's vocabularies has it."""
    for vocabulary in ("offices", "bodies", "intake_sources", "measures"):
        label = pack.vocabulary.get(vocabulary, {}).get(code)
        if label is not None:
            return label
    return code


def resolve(pack: RulePack, roles: Iterable[str], matter: KnownMatter | None, event: Mapping[str, Any]) -> list[Party]:
    """The parties ``roles`` name, each once, in the order named; a role the matter does not
    fill yet (a matter whose routing notification never heard of) names nobody."""
    offices = {code for vocabulary in ("offices", "bodies") for code in pack.vocabulary.get(vocabulary, {})}
    found: dict[tuple[str, str], Party] = {}

    def office(code: str | None) -> None:
        if code:
            found.setdefault((RecipientKind.OFFICE, code), Party(RecipientKind.OFFICE, code, label_of(pack, code)))

    for role in roles:
        if role == ORIGINATING_UNIT:
            if matter is not None and matter.source:
                code = f"source:{matter.source}"
                label = label_of(pack, matter.source)
                if matter.source_reference:
                    label = f"{label}（{matter.source_reference}）"
                found.setdefault((RecipientKind.PARTY, code), Party(RecipientKind.PARTY, code, label))
        elif role == "handling_office":
            office(matter.handler if matter is not None else None)
        elif role == "copied_offices":
            for code in matter.cc if matter is not None else []:
                office(code)
        elif role == "event_office":
            office(event.get("office"))
        elif role == "person_concerned":
            for target in _targets(matter, event):
                if target.get("kind") == "person" and target.get("name"):
                    code = f"person:{target['name']}"
                    found.setdefault((RecipientKind.PARTY, code), Party(RecipientKind.PARTY, code, target["name"]))
        elif role in offices:
            office(role)
    return list(found.values())


def _targets(matter: KnownMatter | None, event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The people an event is about (a decision's, an appeal's), else the matter's targets."""
    if "measures" in event and isinstance(event["measures"], list):
        named = [m["target"] for m in event["measures"] if isinstance(m, Mapping) and "target" in m]
        if named:
            return named
    if isinstance(event.get("target"), Mapping):
        return [dict(event["target"])]
    return list(matter.targets) if matter is not None else []
