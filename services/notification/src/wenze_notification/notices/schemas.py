from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    matter_id: str
    matter_number: str | None
    event_type: str
    notice: str
    recipient_kind: str
    recipient: str
    recipient_label: str
    subject: str
    body: str
    citations: list[str]
    state: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    read_by: str | None
