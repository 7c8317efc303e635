"""What the messaging tests publish: a real contract event, each a matter of its own."""

from __future__ import annotations

import datetime as dt
import uuid

from wenze.events import MatterRejected


def rejected(tenant: str = "kunshan") -> MatterRejected:
    return MatterRejected(
        tenant=tenant,
        matter_id=uuid.uuid4(),
        number="KS-2026-00001",
        outcome="not_accepted",
        reason="不属于问责范围",
        transferred_to=None,
        study_date=dt.date(2026, 5, 6),
        participants=["周敏"],
        decided_by="someone",
    )
