from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wenze_console.auth.service import LoginFailed
from wenze_console.web import TEMPLATES, UnknownTenant, check_csrf, console_of, remember_session, session_of

router = APIRouter()


def _known(request: Request, tenant: str) -> None:
    if tenant not in console_of(request).settings.tenants:
        raise UnknownTenant(tenant)


def _callback_url(request: Request, tenant: str) -> str:
    # Behind an ingress the request's own address is the proxy's view of it (http, an inner
    # host): the realm only returns to the address its client lists, the public one.
    public_url = console_of(request).settings.public_url
    if public_url:
        return f"{public_url.rstrip('/')}/t/{tenant}/callback"
    return str(request.url_for("login_callback", tenant=tenant))


def _safe_next(tenant: str, next_path: str | None) -> str:
    # Only back into this tenant's pages: never an address the login link was given from outside.
    if next_path and next_path.startswith(f"/t/{tenant}/") and "//" not in next_path and "\\" not in next_path:
        return next_path
    return f"/t/{tenant}/work"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> Response:
    console = console_of(request)
    from wenze.rules import get_pack

    tenants = [(tenant, get_pack(tenant).title) for tenant in console.settings.tenants]
    return TEMPLATES.TemplateResponse(request, "home.html", {"tenants": tenants})


@router.get("/t/{tenant}/login", include_in_schema=False)
def login(request: Request, tenant: str, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    _known(request, tenant)
    console = console_of(request)
    try:
        session, url = console.logins.start(
            session_of(request), tenant, _callback_url(request, tenant), _safe_next(tenant, next)
        )
    except LoginFailed as exc:
        return TEMPLATES.TemplateResponse(
            request, "message.html", {"title": "无法登录", "words": [exc.reason]}, status_code=503
        )
    response = RedirectResponse(url, status_code=303)
    remember_session(request, response, session)
    return response


@router.get("/t/{tenant}/callback", name="login_callback", include_in_schema=False)
def callback(
    request: Request,
    tenant: str,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    _known(request, tenant)
    console = console_of(request)
    try:
        if error or not code:
            raise LoginFailed("统一身份认证服务未能完成登录，请重新登录")
        _, next_path = console.logins.finish(session_of(request), tenant, _callback_url(request, tenant), state, code)
    except LoginFailed as exc:
        return TEMPLATES.TemplateResponse(
            request,
            "message.html",
            {"title": "登录未完成", "words": [exc.reason], "retry": f"/t/{tenant}/login"},
            status_code=400,
        )
    return RedirectResponse(next_path, status_code=303)


@router.post("/t/{tenant}/logout", dependencies=[Depends(check_csrf)], include_in_schema=False)
def logout(request: Request, tenant: str) -> Response:
    _known(request, tenant)
    session = session_of(request)
    if session is not None:  # check_csrf has refused a request without one
        session.logins.pop(tenant, None)
    return TEMPLATES.TemplateResponse(
        request, "message.html", {"title": "已退出登录", "words": ["您已退出。"], "retry": f"/t/{tenant}/login"}
    )
