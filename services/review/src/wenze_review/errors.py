"""The review service's problem types; each keeps one stable ``type`` URI."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from wenze.problems import Conflict, NotFound, Problem

T = TypeVar("T")


async def found(row_id: str, not_found: type[NotFound], what: str, lookup: Callable[[], Awaitable[T | None]]) -> T:
    """What ``lookup`` finds for ``row_id``; ``not_found`` (a 404) when ``row_id`` is not a UUID,
    which no row has, or when nothing is found in the caller's tenant."""
    try:
        uuid.UUID(row_id)
    except ValueError:
        # Not echoed: the path may hold anything, of any length.
        raise not_found(f"no {what} has the id in the path, which is not a UUID") from None
    row = await lookup()
    if row is None:
        raise not_found(f"no {what} {row_id} in this tenant")
    return row


class ConsultationNotFound(NotFound):
    slug = "consultation-not-found"
    title = "Consultation not found"


class JointReviewNotFound(NotFound):
    slug = "joint-review-not-found"
    title = "Joint review not found"


class CaseNotFound(NotFound):
    slug = "case-not-found"
    title = "Case not found"


class InvestigationNotFound(NotFound):
    slug = "investigation-not-found"
    title = "Investigation not found"


class TaskNotFound(NotFound):
    slug = "task-not-found"
    title = "Task not found"


class MatterNotFound(NotFound):
    """No review action was ever recorded on the matter in the caller's tenant."""

    slug = "matter-not-found"
    title = "Matter not found"


class TaskHeld(Conflict):
    """Another user holds the task: only they act on it or hand it on."""

    slug = "task-held"
    title = "The task is held by another user"

    def __init__(self, kind: str, assignee: str) -> None:
        super().__init__(
            f"the {kind} task is held by {assignee}; only they can act on it or hand it on",
            extra={"assignee": assignee},
        )


class AlreadySigned(Conflict):
    slug = "already-signed"
    title = "Already signed"


class AlreadyApproved(Conflict):
    slug = "already-approved"
    title = "Already approved"


class ApprovalOutOfOrder(Conflict):
    """The rules order the approvals before a decision, and an earlier one is not given yet."""

    slug = "approval-out-of-order"
    title = "An earlier approval must come first"


class WrongState(Conflict):
    slug = "wrong-state"
    title = "Not possible in the current state"


class RuleRefusal(Problem):
    """The tenant's rules refuse the request; ``citations`` name the articles that do, and
    ``code`` says which refusal it is, for a client that words it in its own language."""

    status = 422
    slug = "refused-by-rules"
    title = "Refused by the tenant's rules"

    def __init__(self, field: str, reason: str, citations: Iterable[str], *, code: str, **extra: object) -> None:
        citations = list(citations)
        cited = f" ({'; '.join(citations)})" if citations else ""
        super().__init__(
            f"{field}: {reason}{cited}",
            extra={"errors": [{"field": field, "reason": reason, "code": code}], "citations": citations, **extra},
        )


class RulesUnavailable(Problem):
    """The pack cannot answer a step for these facts or this date (see the rules error)."""

    status = 422
    slug = "rules-cannot-answer"
    title = "The tenant's rules cannot answer this step"

    def __init__(self, step: str, error: Exception) -> None:
        detail = getattr(error, "to_dict", lambda: {"message": str(error)})()
        message = str(getattr(error, "message", error))
        # The engine already names the decision it was asked ("decision: fact … is required");
        # saying the step again would read "decision: decision: …".
        said = message if message.startswith(f"{step}:") else f"{step}: {message}"
        reason = said.removeprefix(f"{step}:").strip()
        field = f"facts.{detail['fact']}" if isinstance(detail.get("fact"), str) else step
        super().__init__(
            said,
            extra={
                "step": step,
                "rules_error": _jsonable(detail),
                "errors": [{"field": field, "reason": reason, "code": "rules_cannot_answer"}],
            },
        )


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class StepMissing(Conflict):
    """A step the rules require before this one has not been recorded or concluded."""

    slug = "required-step-missing"
    title = "A required earlier step is missing"

    def __init__(self, detail: str, *, step: str, citations: Iterable[str] = (), **extra: object) -> None:
        super().__init__(detail, extra={"step": step, "citations": list(citations), **extra})
