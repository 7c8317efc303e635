from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, File, UploadFile
from pydantic import BaseModel, Field

from wenze.http.problems import PROBLEM_MEDIA_TYPE, error_path, install_problem_handlers, parse_problem
from wenze.problems import Conflict, Problem, problem_type


class MatterNumberTaken(Conflict):
    slug = "matter-number-taken"
    title = "Matter number already used"


class Target(BaseModel):
    name: str = Field(min_length=1)
    cadre_level: str


class MatterCreate(BaseModel):
    title: str
    targets: list[Target]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app, max_body_bytes=200)

    @app.post("/matters")
    async def create(matter: MatterCreate) -> dict[str, int]:
        if matter.title == "duplicate":
            raise MatterNumberTaken("昆纪委问商〔2024〕7号 is already used", extra={"number": 7})
        return {"targets": len(matter.targets)}

    @app.post("/uploads")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"bytes": len(await file.read())}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
        yield c


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = parse_problem(response.content)
    assert body["status"] == status
    assert body["type"] == f"https://wenze.dev/problems/{slug}"
    return body


async def test_raised_problem_is_rendered(client: httpx.AsyncClient) -> None:
    r = await client.post("/matters", json={"title": "duplicate", "targets": []})
    body = assert_problem(r, 409, "matter-number-taken")
    assert body["title"] == "Matter number already used"
    assert body["detail"] == "昆纪委问商〔2024〕7号 is already used"
    assert body["number"] == 7
    assert body["instance"] == "/matters"


async def test_validation_errors_name_each_field(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/matters",
        json={"title": "x", "targets": [{"name": "张三", "cadre_level": "x"}, {"name": ""}]},
    )
    body = assert_problem(r, 422, "validation-failed")
    fields = {e["field"]: e for e in body["errors"]}  # type: ignore[union-attr]
    assert set(fields) == {"body.targets.1.name", "body.targets.1.cadre_level"}
    assert fields["body.targets.1.cadre_level"]["reason"] == "Field required"
    assert fields["body.targets.1.name"]["code"] == "string_too_short"
    assert "body.targets.1.name" in str(body["detail"])


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/matters", content=b'{"title": "x",', headers={"content-type": "application/json"})
    body = assert_problem(r, 400, "malformed-body")
    assert "at character" in str(body["detail"])


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    r = await client.post("/matters", json={"title": "x" * 500, "targets": []})
    body = assert_problem(r, 413, "payload-too-large")
    assert body["max_bytes"] == 200


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(10):
            yield b"x" * 50
        yield b'", "targets": []}'

    r = await client.post("/matters", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_problem(r, 413, "payload-too-large")


async def test_file_uploads_are_left_to_their_endpoint(client: httpx.AsyncClient) -> None:
    r = await client.post("/uploads", files={"file": ("clues.xlsx", b"x" * 1000)})
    assert r.status_code == 200
    assert r.json() == {"bytes": 1000}


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/nowhere"), 404, "not-found")


async def test_wrong_method_is_a_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/matters")
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "POST"


async def test_unexpected_errors_leak_nothing(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom")
    body = assert_problem(r, 500, "internal-error")
    assert "secret" not in r.text
    assert body["detail"] == "An unexpected error occurred."


def test_problem_defaults_and_overrides() -> None:
    p = Problem("x", status=418, type=problem_type("teapot"), title="Teapot", extra={"status": 1})
    assert p.to_dict() == {
        "type": "https://wenze.dev/problems/teapot",
        "title": "Teapot",
        "status": 418,
        "detail": "x",
    }


def test_error_path() -> None:
    assert error_path(("body", "targets", 0, "name")) == "body.targets.0.name"


def test_parse_problem_rejects_other_json() -> None:
    with pytest.raises(ValueError):
        parse_problem(b'{"error": "invalid_grant"}')
