"""The console's application: pages under /t/{tenant}/, one login per tenant."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from wenze.cli.client import ProblemError, Unreachable
from wenze_console import assets
from wenze_console.auth import endpoints as auth_endpoints
from wenze_console.auth.repository import SessionStore
from wenze_console.auth.service import OidcLogins
from wenze_console.config import ConsoleSettings
from wenze_console.deadlines import endpoints as deadline_endpoints
from wenze_console.intake import endpoints as intake_endpoints
from wenze_console.library import endpoints as library_endpoints
from wenze_console.matters import endpoints as matter_endpoints
from wenze_console.reports import endpoints as report_endpoints
from wenze_console.rules import endpoints as rule_endpoints
from wenze_console.web import (
    SESSION_COOKIE,
    TEMPLATES,
    Console,
    CsrfRefused,
    NeedsLogin,
    UnknownTenant,
    login_url,
    problem_words,
)
from wenze_console.work import endpoints as work_endpoints

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    sessions = SessionStore(settings.session_idle_seconds, settings.max_sessions)
    console = Console(settings, sessions, OidcLogins(settings, sessions))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        console.connections.shut()

    app = FastAPI(title="Wenze console", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.console = console

    @app.middleware("http")
    async def session_cookie(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Only looked up: a session is made when a login starts (ADR 0039), so requests without
        # a cookie cost no memory.
        request.state.session = console.sessions.get(request.cookies.get(SESSION_COOKIE))
        response: Response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        return response

    @app.exception_handler(NeedsLogin)
    async def _needs_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedsLogin)
        if request.headers.get("HX-Request"):
            # htmx follows redirects inside the page; send the whole page to the login instead.
            return Response(status_code=204, headers={"HX-Redirect": login_url(exc.tenant, exc.next_path)})
        return RedirectResponse(login_url(exc.tenant, exc.next_path), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: Exception) -> Response:
        return TEMPLATES.TemplateResponse(
            request,
            "message.html",
            {
                "title": "请求被拒绝",
                "words": ["表单缺少有效的安全校验码（CSRF），未执行任何操作。请返回页面刷新后重新提交。"],
            },
            status_code=403,
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: Exception) -> Response:
        # A page, not FastAPI's JSON: the reader is a person at a browser (a link edited by hand).
        assert isinstance(exc, RequestValidationError)
        return TEMPLATES.TemplateResponse(
            request,
            "message.html",
            {"title": "请求有误", "words": [invalid_parameter_words(error) for error in exc.errors()]},
            status_code=400,
        )

    @app.exception_handler(UnknownTenant)
    async def _unknown_tenant(request: Request, exc: Exception) -> Response:
        return TEMPLATES.TemplateResponse(
            request, "message.html", {"title": "未找到", "words": ["没有这个单位。"]}, status_code=404
        )

    @app.exception_handler(ProblemError)
    async def _refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        status = exc.status if 400 <= exc.status < 500 else 502
        return TEMPLATES.TemplateResponse(
            request, "message.html", {"title": "无法显示", "words": problem_words(exc)}, status_code=status
        )

    @app.exception_handler(Unreachable)
    async def _unreachable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Unreachable)
        log.warning("service unreachable: %s", exc)
        return TEMPLATES.TemplateResponse(
            request,
            "message.html",
            {"title": "服务暂不可用", "words": ["后台服务暂时无法访问，请稍后再试。"]},
            status_code=502,
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(assets.router)
    app.include_router(auth_endpoints.router)
    app.include_router(work_endpoints.router)
    app.include_router(matter_endpoints.router)
    app.include_router(intake_endpoints.router)
    app.include_router(deadline_endpoints.router)
    app.include_router(report_endpoints.router)
    app.include_router(library_endpoints.router)
    app.include_router(rule_endpoints.router)
    return app


__all__ = ["HTMLResponse", "create_app"]


_REASONS = {
    "missing": "必须填写",
    "int_parsing": "应为整数",
    "greater_than_equal": "不得小于{ge}",
    "less_than_equal": "不得大于{le}",
}


def invalid_parameter_words(error: dict[str, Any]) -> str:
    """One line naming the parameter and the reason, without echoing what was sent."""
    field = str(error["loc"][-1])
    reason = _REASONS.get(str(error.get("type")), "取值无效").format(**(error.get("ctx") or {}))
    return f"参数 {field}：{reason}。"
