"""What an endpoint passes on to the audit log about where a request came from (ADR 0014)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


def client_address(request: Request) -> str | None:
    """Where the request came from (the peer the server saw), for the audit log."""
    return request.client.host if request.client else None


ClientAddress = Annotated[str | None, Depends(client_address)]
