"""Each HTTP request in a context of its own for the tenant scope (``wenze.db.tenancy``).

The request starts with no tenant, and with system scope refused; authentication binds the
principal's tenant. The context is restored when the request ends, so no tenant outlives its
request (with an in-process transport the app runs in the caller's task).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from wenze.db.tenancy import request_scope


class RequestTenancyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        with request_scope():
            await self.app(scope, receive, send)
