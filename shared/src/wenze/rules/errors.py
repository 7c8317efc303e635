"""Errors the engine raises. Each has a stable ``code`` so the API can map it to an RFC 9457
problem ``type`` and tests can assert on it without matching message text."""

from __future__ import annotations

from datetime import date
from typing import Any


class RulesError(Exception):
    code = "rules_error"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.detail}


class PackError(RulesError):
    """The pack files are unreadable or fail their JSON Schema."""

    code = "pack_invalid"


class UnknownTenantError(RulesError):
    code = "unknown_tenant"


class UnknownDecisionError(RulesError):
    code = "unknown_decision"


class FactError(RulesError):
    """The facts given do not fit the decision's declared inputs."""

    code = "invalid_facts"


class OutOfPeriodError(RulesError):
    """No rule of the decision is in force on the date asked: the engine does not guess."""

    code = "out_of_period"

    def __init__(self, message: str, *, on: date, documents: list[dict[str, Any]], **kw: Any):
        super().__init__(message, on=on.isoformat(), documents=documents, **kw)


class NoRuleTextLoadedError(OutOfPeriodError):
    """The governing document on that date is known to exist, but its text is not in the pack."""

    code = "no_rule_text_loaded"


class NoMatchError(RulesError):
    """A table marked ``required`` matched no rule for the facts given."""

    code = "no_rule_matched"


class ConflictError(RulesError):
    """Two fired rules set the same single-valued output to different values."""

    code = "conflicting_outputs"


class CalendarUnavailableError(RulesError):
    code = "calendar_unavailable"


class DeadlineUncomputableError(RulesError):
    """The due date needs a year the working-day calendar does not cover (or similar)."""

    code = "calendar_year_missing"
