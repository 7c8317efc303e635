"""The case library page from reporting's API. What the user may do there is what reporting
lets them do: the draft notice needs ``case_library:curate``, as marking does, so reporting's
answer to the notice tells the page whether to offer the marks at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from wenze.cli.client import ProblemError
from wenze.rules.pack import RulePack
from wenze_console.library.schemas import LibraryQuery
from wenze_console.refusals import slug_of
from wenze_console.web import TenantPage, problem_words

# Reporting's refusals that say more on this page than the console's catalogue
# (``wenze_console.refusals``) does; any other reads as the catalogue says.
REFUSALS = {
    "case-not-found": "没有这一已决案例，或该案例不在您可查看的范围内",
    "missing-capability": "您没有标记典型案例的权限（case_library:curate）",
}


def refusal_words(error: ProblemError, pack: RulePack) -> list[str]:
    slug = slug_of(error.problem)
    return [REFUSALS[slug]] if slug in REFUSALS else problem_words(error, pack)


def lacks_capability(error: ProblemError) -> bool:
    return error.status == 403 and slug_of(error.problem) == "missing-capability"


@dataclass
class LibraryView:
    stamp: dict[str, Any] | None = None
    cases: list[dict[str, Any]] = field(default_factory=list)
    # Whether reporting lets the user mark cases and read the draft notice.
    curate: bool = False
    notice: dict[str, Any] | None = None
    refused: list[str] = field(default_factory=list)
    notice_refused: list[str] = field(default_factory=list)
    status: int = 200
    # One key per form, so a form sent twice (a double click, a reload) marks the case once.
    form_keys: dict[str, str] = field(default_factory=dict)


def library_view(page: TenantPage, query: LibraryQuery) -> LibraryView:
    view = LibraryView()
    with page.reporting() as reporting:
        try:
            library = reporting.cases(query.year, query.month, typical_only=query.typical)
        except ProblemError as error:
            if error.status >= 500:
                raise
            view.refused, view.status = refusal_words(error, page.pack), error.status
            return view
        view.stamp, view.cases = library["stamp"], library["cases"]
        try:
            view.notice = reporting.case_notice(query.year, query.month)
            view.curate = True
        except ProblemError as error:
            if error.status >= 500:
                raise
            if not lacks_capability(error):
                view.notice_refused = refusal_words(error, page.pack)
    view.form_keys = {case["decision_id"]: str(uuid.uuid4()) for case in view.cases}
    return view


def mark_typical(page: TenantPage, decision_id: str, reason: str, key: str | None) -> None:
    with page.reporting() as reporting:
        reporting.mark_typical(decision_id, reason, idempotency_key=key or None)


def withdraw_typical(page: TenantPage, decision_id: str, key: str | None) -> None:
    with page.reporting() as reporting:
        reporting.withdraw_typical(decision_id, idempotency_key=key or None)
