from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def matter_body(form: FormData) -> dict[str, Any]:
    """One matter with one target from the intake form; intake judges it against the pack."""
    kind = _text(form, "target_kind") or "person"
    target: dict[str, Any] = {"kind": kind}
    fields = {
        "person": ("name", "post", "unit", "cadre_level", "sector"),
        "organisation": ("name", "org_level", "sector"),
        "unknown": ("sector", "unit"),
    }.get(kind, ())
    for name in fields:
        value = _text(form, f"target_{name}")
        if value:
            target[name] = value
    if kind == "person":
        target["party_member"] = form.get("target_party_member") == "on"
    body: dict[str, Any] = {
        "source": _text(form, "source"),
        "summary": _text(form, "summary"),
        "facts": _text(form, "facts"),
        "targets": [target],
        "key_supervised": form.get("key_supervised") == "on",
    }
    for name in ("source_reference", "proposed_form"):
        value = _text(form, name)
        if value:
            body[name] = value
    return body


def acceptance_body(form: FormData) -> dict[str, Any]:
    body: dict[str, Any] = {
        "outcome": _text(form, "outcome") or "accepted",
        "participants": [p.strip() for p in _text(form, "participants").replace("，", ",").split(",") if p.strip()],
        "study_date": _text(form, "study_date"),
    }
    for name in ("reason", "transferred_to"):
        value = _text(form, name)
        if value:
            body[name] = value
    return body
