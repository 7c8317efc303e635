"""Rendering problems (``wenze.problems``) as RFC 9457 responses in every Wenze HTTP API.

:func:`install_problem_handlers` renders a raised :class:`~wenze.problems.Problem`, and also
turns FastAPI's own errors (validation, malformed JSON, unknown routes, oversized bodies) into
``application/problem+json`` so a client sees one error shape across all services.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wenze.problems import (
    MalformedBody,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
    ValidationFailed,
    problem_type,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(problem: Problem, request: Request | None = None) -> ProblemResponse:
    instance = request.url.path if request is not None else None
    return ProblemResponse(
        problem.to_dict(instance),
        status_code=problem.status_code,
        headers=problem.headers or None,
    )


def error_path(loc: Sequence[str | int]) -> str:
    """``("body", "targets", 0, "name")`` → ``body.targets.0.name``."""
    return ".".join(str(part) for part in loc)


def _validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "field": error_path(err.get("loc", ())),
            "reason": str(err.get("msg", "invalid")),
            "code": str(err.get("type", "invalid")),
        }
        for err in errors
    ]


async def _handle_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _handle_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    malformed = [e for e in errors if e.get("type") == "json_invalid"]
    if malformed:
        # A body that is not JSON at all is a syntax error (400), not a failed validation.
        ctx = malformed[0].get("ctx") or {}
        loc = malformed[0].get("loc", ("body",))
        position = loc[1] if len(loc) > 1 else None
        reason = ctx.get("error", "JSON decode error")
        detail = f"{reason} at character {position}" if position is not None else str(reason)
        return problem_response(MalformedBody(detail), request)
    items = _validation_errors(errors)
    detail = "; ".join(f"{item['field']}: {item['reason']}" for item in items)
    return problem_response(ValidationFailed(detail, extra={"errors": items}), request)


_HTTP_SLUGS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


async def _handle_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    problem = Problem(
        detail,
        status=exc.status_code,
        type=problem_type(slug),
        title=title,
        headers=exc.headers,
    )
    return problem_response(problem, request)


# How long a client should wait before retrying when a dependency is out of reach: long
# enough for a restarted PostgreSQL or a drained pool to come back, short enough not to stall.
UNAVAILABLE_RETRY_AFTER_S = 5

# What "cannot reach a dependency" looks like: SQLAlchemy's connection failures and its
# exhausted pool; and, because asyncpg raises them unwrapped while connecting, the operating
# system's refused or reset connections and timeouts. A statement the database rejects for
# what it says (IntegrityError, DataError) is not among them: that stays a bug.
DEPENDENCY_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)


async def _handle_dependency_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # Whatever was under way rolled back with its transaction, so nothing is half-written and
    # the client may simply retry. One line in the log (the exception's class), never the
    # statement or its parameters.
    logger.warning("dependency unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    problem = ServiceUnavailable(
        "A system this service depends on cannot be reached just now; nothing was changed. Retry shortly.",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
    )
    return problem_response(problem, request)


async def _handle_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    # The traceback goes to the log, never to the client.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(Problem("An unexpected error occurred."), request)


class BodySizeLimitMiddleware:
    """Refuse JSON request bodies over ``max_bytes`` with a 413 problem.

    Checks ``Content-Length`` up front and also counts streamed chunks, because a chunked
    upload announces no length. File uploads (multipart, octet-stream, spreadsheets) are
    left to the endpoints that accept them, which know their own larger limits.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json_or_untyped(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            problem = PayloadTooLarge(
                f"body of {declared} bytes exceeds the limit of {self.max_bytes} bytes",
                extra={"max_bytes": self.max_bytes},
            )
            request = Request(scope)
            await problem_response(problem, request)(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body reading, so the handler
                    # installed below renders it as a 413 problem.
                    raise StarletteHTTPException(413, f"body exceeds the limit of {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value)
    return None


def _is_json_or_untyped(scope: Scope) -> bool:
    content_type = _header(scope, b"content-type")
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def install_problem_handlers(app: FastAPI, *, max_body_bytes: int | None = None) -> None:
    """Render every error of ``app`` as RFC 9457 problem+json.

    ``max_body_bytes`` adds a size limit on JSON bodies; leave it ``None`` when a proxy
    enforces one.
    """
    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    for unavailable in DEPENDENCY_UNAVAILABLE:
        app.add_exception_handler(unavailable, _handle_dependency_unavailable)
    app.add_exception_handler(Exception, _handle_unexpected)
    if max_body_bytes is not None:
        app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)


def parse_problem(body: bytes | str) -> dict[str, Any]:
    """Decode a problem body; handy for clients and tests that assert on the type URI."""
    data = json.loads(body)
    if not isinstance(data, dict) or "type" not in data or "status" not in data:
        raise ValueError("not an RFC 9457 problem document")
    return data
