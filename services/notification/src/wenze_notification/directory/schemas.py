from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[a-z][a-z0-9_]*(:[^\s]+)?$")]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: Code = Field(
        description="an office or body code of the pack, `source:<intake source>` for the units that raise "
        "matters, or `person:<name>`"
    )
    name: str = Field(min_length=1, max_length=200)
    email: Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$")]
    username: str | None = Field(default=None, max_length=255, description="a member of the office's staff")


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    party: str
    name: str
    email: str
    username: str | None
    created_at: dt.datetime


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    notices: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]] = Field(
        default=[], max_length=50, description="the notices wanted; empty for all"
    )
    parties: list[Code] = Field(default=[], max_length=50, description="the parties spoken for; empty for all")


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    notices: list[str]
    parties: list[str]
    state: str
    created_at: dt.datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="the HMAC-SHA256 key of this subscription's signatures; shown this once")
