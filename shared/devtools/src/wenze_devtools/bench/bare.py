"""The baseline for single submissions: one FastAPI route that inserts a matter row.

It takes the same JSON body as intake's ``POST /v1/matters`` (validated by pydantic only)
and inserts the same columns into a table created ``LIKE intake.matters INCLUDING ALL``, in
its own schema, with the same engine settings intake uses. No auth, numbering, targets,
timeline, outbox or read-back: everything intake does beyond this is what the ratio prices.

Run as ``python -m wenze_devtools.bench.bare --port N`` with ``WENZE_BENCH_DATABASE_URL`` set.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import typer
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from wenze.db import create_engine
from wenze.db.base import JSONType, UTCDateTime

SCHEMA = "bench_bare"
DATABASE_ENV = "WENZE_BENCH_DATABASE_URL"
POOL_SIZE_ENV = "WENZE_BENCH_DB_POOL_SIZE"

matters = Table(
    "matters",
    MetaData(),
    Column("id", String(36), primary_key=True),
    Column("tenant", String(40)),
    Column("number", String(80)),
    Column("year", Integer),
    Column("seq", Integer),
    Column("state", String(20)),
    Column("source", String(60)),
    Column("source_reference", String(200)),
    Column("summary", Text),
    Column("facts", Text),
    Column("proposed_form", String(40)),
    Column("key_supervised", Boolean),
    Column("relevant_date", Date),
    Column("received_at", UTCDateTime()),
    Column("submitted_by", String(120)),
    Column("duplicate_of", String(36)),
    Column("duplicate_override_reason", Text),
    Column("acceptance", JSONType),
    Column("import_job_id", String(36)),
    Column("search_text", Text),
)


class BareTarget(BaseModel):
    kind: Literal["person", "organisation", "unknown"]
    name: str | None = Field(default=None, max_length=200)
    post: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    cadre_level: str | None = Field(default=None, max_length=60)
    sector: str | None = Field(default=None, max_length=60)
    party_member: bool | None = None
    org_level: str | None = Field(default=None, max_length=60)


class BareMatter(BaseModel):
    source: str = Field(max_length=60)
    source_reference: str | None = Field(default=None, max_length=200)
    summary: str = Field(max_length=2_000)
    facts: str = Field(max_length=50_000)
    targets: list[BareTarget] = Field(min_length=1, max_length=100)
    proposed_form: str | None = Field(default=None, max_length=40)
    key_supervised: bool = False
    relevant_date: dt.date | None = None


def create_app() -> FastAPI:
    pool_size = int(os.environ.get(POOL_SIZE_ENV, "10"))
    engine = create_engine(os.environ[DATABASE_ENV], schema=SCHEMA, pool_size=pool_size)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(title="bare baseline", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/matters", status_code=201)
    async def submit(data: BareMatter) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        matter_id = str(uuid.uuid4())
        names = " ".join(t.name for t in data.targets if t.name)
        row = {
            "id": matter_id,
            "tenant": "kunshan",
            "number": f"bare-{matter_id}",
            "year": now.year,
            "seq": 0,
            "state": "received",
            "source": data.source,
            "source_reference": data.source_reference,
            "summary": data.summary,
            "facts": data.facts,
            "proposed_form": data.proposed_form,
            "key_supervised": data.key_supervised,
            "relevant_date": data.relevant_date or now.date(),
            "received_at": now,
            "submitted_by": "bench",
            "duplicate_of": None,
            "duplicate_override_reason": None,
            "acceptance": None,
            "import_job_id": None,
            "search_text": f"{data.summary}\n{data.facts}\n{names}",
        }
        async with sessions() as session, session.begin():
            await session.execute(insert(matters).values(**row))
        return row

    return app


def serve(port: int = typer.Option(..., help="port on 127.0.0.1")) -> None:
    # Served exactly as intake's ``api`` command serves intake: one uvicorn process, no access log.
    uvicorn.run(
        "wenze_devtools.bench.bare:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    typer.run(serve)
