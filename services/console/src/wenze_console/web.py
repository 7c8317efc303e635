"""What every page shares: the session cookie, the CSRF check, the signed-in tenant's API
clients, and rendering with the tenant's labels and time zone."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from wenze.cli.client import (
    ExecutionClient,
    IntakeClient,
    ProblemError,
    ReportingClient,
    ReviewClient,
    RoutingClient,
)
from wenze.rules import get_pack
from wenze.rules.pack import RulePack
from wenze_console import labels, refusals
from wenze_console.auth.models import Login, Session
from wenze_console.auth.repository import SessionStore
from wenze_console.auth.service import OidcLogins
from wenze_console.config import ConsoleSettings
from wenze_console.reports.schemas import QueryRefused

SESSION_COOKIE = "wenze_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class NeedsLogin(Exception):
    def __init__(self, tenant: str, next_path: str) -> None:
        super().__init__(tenant)
        self.tenant = tenant
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form came back without the session's CSRF token."""


class UnknownTenant(Exception):
    def __init__(self, tenant: str) -> None:
        super().__init__(tenant)
        self.tenant = tenant


class KeptConnections(httpx.BaseTransport):
    """One connection pool to a service for every page's calls, left open when a page's client
    closes. A client of its own per call would build a TLS context (tens of milliseconds) and
    open new connections each time; httpx's pool is safe to share between threads."""

    def __init__(self) -> None:
        self._pool = httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._pool.handle_request(request)

    def close(self) -> None:
        """Kept for the next page: :meth:`shut` closes the pool when the console stops."""

    def shut(self) -> None:
        self._pool.close()


@dataclass(frozen=True)
class Console:
    """The application's parts, kept on ``app.state.console``."""

    settings: ConsoleSettings
    sessions: SessionStore
    logins: OidcLogins
    connections: KeptConnections = field(default_factory=KeptConnections)


def console_of(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def session_of(request: Request) -> Session | None:
    """The browser's stored session, if its cookie names one; none is made here (ADR 0039)."""
    found: Session | None = request.state.session
    return found


def remember_session(request: Request, response: Response, session: Session) -> None:
    """Give the browser the cookie of a session made for it (a login that started just now)."""
    if request.cookies.get(SESSION_COOKIE) == session.id:
        return
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="lax",
        secure=console_of(request).settings.secure_cookies,
        path="/",
    )


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry the session's token (a form's hidden
    field, or htmx's header), whatever page it claims to come from."""
    session = session_of(request)
    if session is None:
        raise CsrfRefused()
    given = request.headers.get(CSRF_HEADER)
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            given = str((await request.form()).get(CSRF_FIELD) or "")
    if not given or not hmac.compare_digest(given, session.csrf_token):
        raise CsrfRefused()


def _local(value: Any, pack: RulePack, fmt: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(pack.time_zone).strftime(fmt)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class TenantPage:
    """A page of one tenant for its signed-in user."""

    request: Request
    console: Console
    session: Session
    login: Login
    pack: RulePack

    @property
    def tenant(self) -> str:
        return self.login.tenant

    def _timeout(self) -> float:
        return self.console.settings.api_timeout_seconds

    def intake(self) -> IntakeClient:
        return IntakeClient(
            self.console.settings.intake_url,
            self.login.access_token,
            timeout=self._timeout(),
            transport=self.console.connections,
        )

    def review(self) -> ReviewClient:
        return ReviewClient(
            self.console.settings.review_url,
            self.login.access_token,
            timeout=self._timeout(),
            transport=self.console.connections,
        )

    def routing(self) -> RoutingClient:
        return RoutingClient(
            self.console.settings.routing_url,
            self.login.access_token,
            timeout=self._timeout(),
            transport=self.console.connections,
        )

    def execution(self) -> ExecutionClient:
        return ExecutionClient(
            self.console.settings.execution_url,
            self.login.access_token,
            timeout=self._timeout(),
            transport=self.console.connections,
        )

    def reporting(self) -> ReportingClient:
        return ReportingClient(
            self.console.settings.reporting_url,
            self.login.access_token,
            timeout=self._timeout(),
            transport=self.console.connections,
        )

    def url(self, path: str) -> str:
        return f"/t/{self.tenant}{path}"

    def refusal(self, error: ProblemError) -> list[str]:
        return problem_words(error, self.pack)

    def label(self, vocabulary: str, code: Any) -> str:
        return labels.pack_label(self.pack, tuple(vocabulary.split("|")), code)

    def reading_href(self, decision: str | None, on: Any, point: str, reading: str) -> str:
        return labels.reading_href(self.pack, self.tenant, decision, on, point, reading)

    def readings(self, applied: Any) -> list[dict[str, Any]]:
        return labels.readings_shown(self.pack, applied)

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        pack = self.pack
        return TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "page": self,
                "tenant": self.tenant,
                "tenant_title": pack.title,
                "user": self.login,
                "office_label": labels.office_label(pack, self.login.office) if self.login.office else "",
                "csrf_token": self.session.csrf_token,
                "label": self.label,
                "office": lambda code: labels.office_label(pack, code),
                "kind_label": lambda kind: labels.TASK_KINDS.get(kind, kind),
                "state_label": lambda state: labels.STATES.get(state, state),
                "light_label": lambda light: labels.LIGHTS.get(light, light),
                "execution_state_label": lambda state: labels.EXECUTION_STATES.get(state, state),
                "deadline_state_label": lambda state: labels.DEADLINE_STATES.get(state, state),
                "reading_href": self.reading_href,
                "readings_of": self.readings,
                "action_label": labels.action_label,
                "ticked": {},
                "local_time": lambda value: _local(value, pack, "%Y-%m-%d %H:%M"),
                "local_date": lambda value: _local(value, pack, "%Y-%m-%d"),
                **context,
            },
            status_code=status_code,
        )


def tenant_page(request: Request, tenant: str) -> TenantPage:
    """The tenant's page for its signed-in user; otherwise off to the tenant's realm to sign in.
    A session signed in to another tenant gives nothing here: logins are per tenant."""
    console = console_of(request)
    if tenant not in console.settings.tenants:
        raise UnknownTenant(tenant)
    session = session_of(request)
    login = console.logins.fresh(session, tenant)
    if session is None or login is None:
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            next_path = f"/t/{tenant}/work"
        raise NeedsLogin(tenant, next_path)
    return TenantPage(request, console, session, login, get_pack(tenant))


def query_refused(request: Request, error: QueryRefused) -> Response:
    """A page's or a file's parameter refused: the field in the form's words and why."""
    return TEMPLATES.TemplateResponse(
        request, "message.html", {"title": "参数有误", "words": [f"{error.field}：{error.reason}"]}, status_code=400
    )


def reporting_file(fetched: httpx.Response, filename: str | None = None) -> Response:
    """A file reporting wrote, passed on as it came: its content type and reporting's file name,
    or ``filename`` where reporting names none (the browser then saves it under that name)."""
    disposition = fetched.headers.get("content-disposition") or (filename and f'attachment; filename="{filename}"')
    return Response(
        fetched.content,
        media_type=fetched.headers.get("content-type", "application/octet-stream"),
        headers={"Content-Disposition": disposition} if disposition else {},
    )


def login_url(tenant: str, next_path: str) -> str:
    return f"/t/{tenant}/login?next={quote(next_path, safe='')}"


def problem_words(error: ProblemError, pack: RulePack | None = None) -> list[str]:
    """What the service refused, in words staff read: the catalogue's sentence for the problem
    type (the service's detail where the type is not in it, or where the detail is already
    Chinese), then each field in the form's words with its reason, then the articles or step
    the problem names; never a status code or an exception's text. With the tenant's pack,
    codes of its vocabulary (measures, offices…) read as their labels."""
    problem = error.problem
    sentence = refusals.REFUSALS.get(refusals.slug_of(problem))
    detail = str(problem.get("detail") or problem.get("title") or "").replace("body.", "")
    words = [sentence] if sentence else []
    if detail and (not sentence or refusals.is_chinese(detail)):
        words.append(detail)
    for item in problem.get("errors") or []:
        if not isinstance(item, dict):
            continue
        path, said, field, reason = _error_words(item, pack)
        if not reason or (reason == said and said in detail and detail in words):
            continue
        text = reason if not field or path.removeprefix("body.") in reason else f"{field}：{reason}"
        if text not in words:
            words.append(text)
    words += [w for w in refusals.extension_words(problem) if w not in words]
    if pack is not None:
        words = [_labelled(word, pack) for word in words]
    return words or ["服务拒绝了该请求"]


def _error_words(item: Mapping[str, Any], pack: RulePack | None) -> tuple[str, str, str, str]:
    """One entry of ``errors``: its path and reason as the service gave them, the field in the
    form's words, and the reason in Chinese where its code is known (else as given)."""
    path = str(item.get("field") or "")
    said = str(item.get("reason") or item.get("message") or item.get("detail") or "")
    reason = refusals.reason_words(str(item.get("code") or ""), said) or said
    return path, said, refusals.field_words(path, pack) if path else "", reason


def row_error_words(item: Mapping[str, Any], pack: RulePack) -> str:
    """A refused import row's error in staff's words: the column, then the reason (a whole row
    unreadable names no column)."""
    path, _, field, reason = _error_words(item, pack)
    text = f"{field}：{reason}" if field and path != "row" else reason
    return _labelled(text, pack)


_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\b")


def _labelled(text: str, pack: RulePack) -> str:
    labels_by_code: dict[str, str] = {}
    for vocabulary in ("measures", "offices", "bodies", "severities", "circumstances", "forms", "intake_sources"):
        labels_by_code.update(pack.vocabulary.get(vocabulary, {}))
    return _CODE.sub(lambda m: labels_by_code.get(m.group(0), m.group(0)), text)
