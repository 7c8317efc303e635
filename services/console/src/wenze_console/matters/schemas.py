"""The step forms' fields, turned into the bodies review's endpoints take."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in _text(form, name).splitlines() if line.strip()]


def _choices(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def _optional(body: dict[str, Any], name: str, value: str) -> None:
    if value:
        body[name] = value


# Rows the findings form offers for the targets an investigation identified (a case the rules
# reclassify once the investigation names who is accountable, e.g. 昆纪办发〔2019〕19号 附件5 第四条).
IDENTIFIED_ROWS = 3
_IDENTIFIED_TEXT = ("name", "post", "unit")
_IDENTIFIED_CODES = ("kind", "cadre_level", "org_level", "sector")


def identified_targets(form: FormData) -> list[dict[str, str]]:
    """The targets of the findings form's rows, in order; a row with no name, post or unit was
    left blank (its selects keep their first choice) and is not one."""
    targets = []
    for row in range(IDENTIFIED_ROWS):
        values = {field: _text(form, f"identified_{row}_{field}") for field in _IDENTIFIED_TEXT + _IDENTIFIED_CODES}
        if any(values[field] for field in _IDENTIFIED_TEXT):
            targets.append({field: value for field, value in values.items() if value})
    return targets


def step_body(step: str, form: FormData, target_count: int) -> dict[str, Any]:
    """The request body for ``step`` from its form. Nothing is judged here: review applies the
    pack and its refusal is shown in its own words."""
    body: dict[str, Any] = {}
    if step == "sign":
        body["opinion"] = _text(form, "opinion") or "agree"
        _optional(body, "handler", _text(form, "handler"))
        _optional(body, "text", _text(form, "text"))
    elif step == "approve":
        _optional(body, "comment", _text(form, "comment"))
    elif step == "findings":
        body["findings"] = _text(form, "findings")
        body["evidence"] = _lines(form, "evidence")
        if targets := identified_targets(form):
            body["identified_targets"] = targets
    elif step == "recommend":
        body["statement"] = _text(form, "statement")
        body["legal_basis"] = _text(form, "legal_basis")
        _optional(body, "severity", _text(form, "severity"))
        body["circumstances"] = _choices(form, "circumstances")
        body["proposed_measures"] = _choices(form, "proposed_measures")
    elif step == "hear":
        body["held_on"] = _text(form, "held_on")
        argument = _text(form, "argument")
        body["arguments"] = (
            [{"argument": argument, "accepted": form.get("accepted") == "on", "reason": _text(form, "reason")}]
            if argument
            else []
        )
    elif step == "decide":
        body["decided_on"] = _text(form, "decided_on")
        _optional(body, "announced_on", _text(form, "announced_on"))
        body["simplified"] = form.get("simplified") == "on"
        body["facts_clear"] = form.get("facts_clear") == "on"
        body["measures"] = [
            {"target_index": index, "measures": _choices(form, f"measures_{index}")}
            for index in range(target_count)
            if _choices(form, f"measures_{index}")
        ]
    return body
