"""The events a matter's own rows announce, built the same way wherever a matter is decided."""

from __future__ import annotations

import datetime as dt

from wenze.events import MatterAccepted, TargetSnapshot
from wenze_intake.matters.models import Matter


def accepted_event(
    matter: Matter, at: dt.datetime, study_date: dt.date, participants: list[str], accepted_by: str
) -> MatterAccepted:
    """The ``matter.accepted`` event of ``matter`` (its targets loaded), accepted at ``at``."""
    return MatterAccepted(
        tenant=matter.tenant,
        matter_id=matter.id,
        occurred_at=at,
        number=matter.number,
        source=matter.source,
        summary=matter.summary,
        facts=matter.facts,
        key_supervised=matter.key_supervised,
        proposed_form=matter.proposed_form,
        targets=[TargetSnapshot.model_validate(t, from_attributes=True) for t in matter.targets],
        study_date=study_date,
        participants=participants,
        accepted_by=accepted_by,
        relevant_date=matter.relevant_date,
    )
