from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from wenze.http.docs import install_offline_docs


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI(title="Wenze test", docs_url=None, redoc_url=None)
    install_offline_docs(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
        yield c


@pytest.mark.parametrize(
    "page,assets",
    [
        ("/docs", {"/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/openapi.json"}),
        ("/redoc", {"/docs-assets/redoc.standalone.js", "/openapi.json"}),
    ],
)
async def test_pages_load_their_assets_from_the_service(client: httpx.AsyncClient, page: str, assets: set[str]) -> None:
    html = (await client.get(page)).raise_for_status().text
    assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", html), "nothing may come from a CDN"
    assert "fonts.googleapis.com" not in html
    for asset in assets:
        assert asset in html
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000 or asset == "/openapi.json"


async def test_pages_follow_the_ingress_prefix() -> None:
    app = FastAPI(title="Wenze test", docs_url=None, redoc_url=None)
    install_offline_docs(app)
    transport = httpx.ASGITransport(app=app, root_path="/intake")
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
        html = (await c.get("/docs")).text
    assert "/intake/docs-assets/swagger-ui-bundle.js" in html
    assert "/intake/openapi.json" in html
