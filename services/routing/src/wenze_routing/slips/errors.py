from __future__ import annotations

from wenze.problems import Conflict, NotFound


class SlipNotFound(NotFound):
    slug = "slip-not-found"
    title = "Routing slip not found"

    def __init__(self, slip_id: str) -> None:
        super().__init__(f"no routing slip {slip_id} in the caller's tenant", extra={"slip_id": slip_id})


class SlipStateConflict(Conflict):
    slug = "slip-state-conflict"
    title = "Not possible in the routing slip's current state"
