"""The errors of every Wenze API, as RFC 9457 problem details, with no web framework in sight.

Raise a :class:`Problem` (or a subclass) from anywhere: a service, a repository, the unit of
work. ``wenze.http.problems`` renders it as ``application/problem+json``; because this module
depends on nothing, the database layer can raise problems without importing the HTTP layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

PROBLEM_TYPE_BASE = "https://wenze.dev/problems/"


def problem_type(slug: str) -> str:
    """The stable type URI for a problem slug; clients switch on it, so never rename one."""
    return PROBLEM_TYPE_BASE + slug


class Problem(Exception):
    """An error with an HTTP meaning.

    Subclasses fix ``status``, ``slug`` and ``title`` as class attributes so each kind of
    error keeps one type URI; instances add the ``detail`` and any extension members.
    """

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        type: str | None = None,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title or self.title)
        self.status_code = status if status is not None else self.status
        self.type_uri = type if type is not None else problem_type(self.slug)
        self.title_text = title if title is not None else self.title
        self.detail = detail
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title_text,
            "status": self.status_code,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        for key, value in self.extra.items():
            # Extension members must not shadow the standard ones.
            if key not in body:
                body[key] = value
        return body


class BadRequest(Problem):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class MalformedBody(Problem):
    status = 400
    slug = "malformed-body"
    title = "Request body is not valid JSON"


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class ValidationFailed(Problem):
    status = 422
    slug = "validation-failed"
    title = "Request is not valid"


def invalid(field: str, reason: str, *, code: str, **extra: object) -> ValidationFailed:
    """A 422 naming the one field at fault, in the same shape as request-validation errors:
    ``errors`` holds ``{"field", "reason", "code"}``. ``reason`` says what is wrong in English, for
    integrators; ``code`` names the reason (snake_case, stable, like request validation's error
    types) for clients that word it themselves (the console, in Chinese): calls refusing for the
    same reason share one code. ``extra`` adds members to the problem (the citations a rule
    refusal rests on, say)."""
    error = {"field": field, "reason": reason, "code": code}
    return ValidationFailed(f"{field}: {reason}", extra={"errors": [error], **extra})


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ServiceUnavailable(Problem):
    """Something the service depends on (its database, say) cannot be reached just now; the
    request changed nothing and may be retried."""

    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"
