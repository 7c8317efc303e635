from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class DocumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60, description="a form of the tenant's pack")
    target: str | None = Field(
        default=None, max_length=100, description="the person a letter is about, when the decision names several"
    )


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    matter_id: str
    kind: str
    subject_key: str
    number: str
    issued_on: dt.date
    issued_by: str
    fields: dict
    created_at: dt.datetime
