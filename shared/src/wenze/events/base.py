from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from wenze.ids import new_uuid

_REGISTRY: dict[tuple[str, str, int], type[Event]] = {}


class Event(BaseModel):
    """Envelope fields every event carries; subclasses add the payload.

    Subjects have the shape ``<service>.<tenant>.<aggregate>.<name>.v<N>``; the class
    variables name the parts that do not depend on the instance.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str]
    aggregate: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[int] = 1

    event_id: uuid.UUID = Field(default_factory=new_uuid)
    tenant: str
    matter_id: uuid.UUID
    occurred_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            key = (cls.service, f"{cls.aggregate}.{cls.name}", cls.version)
            if key in _REGISTRY:
                raise TypeError(f"event {key} defined twice")
            _REGISTRY[key] = cls

    @classmethod
    def type_name(cls) -> str:
        return f"{cls.aggregate}.{cls.name}"

    @property
    def subject(self) -> str:
        return subject_for(type(self), self.tenant)


def subject_for(event_type: type[Event], tenant: str) -> str:
    return f"{event_type.service}.{tenant}.{event_type.aggregate}.{event_type.name}.v{event_type.version}"


def event_class_for_subject(subject: str) -> tuple[type[Event], str]:
    """Return the contract for a subject and the tenant in it; unknown subjects raise KeyError."""
    parts = subject.split(".")
    if len(parts) != 5 or not parts[4].startswith("v"):
        raise KeyError(subject)
    service, tenant, aggregate, name, version = parts
    return _REGISTRY[(service, f"{aggregate}.{name}", int(version[1:]))], tenant
