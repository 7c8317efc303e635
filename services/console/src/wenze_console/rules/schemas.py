"""The explain form's fields, read into the facts a decision's declared inputs take."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.datastructures import QueryParams

from wenze.rules.compiled import InputSpec

FACT_FIELD = "f."
READING_FIELD = "r."
# Inputs the form offers; a list of records (Hubei's earlier cases) keeps the pack's default.
FORM_TYPES = frozenset({"bool", "code", "codes", "int", "date", "string", "text"})
_INTEGER = re.compile(r"-?\d{1,9}")


class FieldRefused(Exception):
    """A field of the form does not fit its input: which one, and why."""

    def __init__(self, fact: str, reason: str) -> None:
        super().__init__(f"{fact}: {reason}")
        self.fact = fact
        self.reason = reason


def facts_from(params: QueryParams, inputs: dict[str, InputSpec]) -> dict[str, Any]:
    """The facts the form gives; a field left empty is left out, so the pack's default applies
    (and a required one is refused by the evaluation, naming it)."""
    facts: dict[str, Any] = {}
    for name, spec in inputs.items():
        key = FACT_FIELD + name
        if spec.type == "codes":
            chosen = [v for v in params.getlist(key) if v]
            if chosen or spec.required:
                facts[name] = chosen
            continue
        raw = (params.get(key) or "").strip()
        if not raw or spec.type not in FORM_TYPES:
            continue
        if spec.type == "bool":
            if raw not in ("true", "false"):
                raise FieldRefused(name, "须为“是”或“否”")
            facts[name] = raw == "true"
        elif spec.type == "int":
            if not _INTEGER.fullmatch(raw):
                raise FieldRefused(name, "须为整数")
            facts[name] = int(raw)
        elif spec.type == "date":
            try:
                facts[name] = dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                raise FieldRefused(name, "须为日期（年-月-日）") from None
        else:
            facts[name] = raw
    return facts


def readings_from(params: QueryParams, points: list[str]) -> dict[str, str]:
    """The readings the user picked for the points the decision depends on."""
    return {point: value for point in points if (value := (params.get(READING_FIELD + point) or "").strip())}


def relevant_date(params: QueryParams, today: dt.date) -> dt.date:
    raw = (params.get("on") or "").strip()
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FieldRefused("on", "须为日期（年-月-日）") from None
