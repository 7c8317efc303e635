"""Running one POST in one transaction, with ``Idempotency-Key`` replays.

The response body is stored with the effect; a retry with the same key and request gets
it back, a retry with the same key and another request is refused.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from wenze.auth.principal import Principal
from wenze.http.idempotency import fingerprint
from wenze_review.errors import IdempotencyKeyReused, WrongState


def request_print(principal: Principal, path: str, body: Any) -> str:
    return fingerprint(principal.subject, path, json.dumps(body, sort_keys=True, default=str, ensure_ascii=False))


async def run_once(
    uow_factory,
    principal: Principal,
    key: str | None,
    printed: str,
    action: Callable[[Any], Awaitable[dict]],
    *,
    status_code: int = 200,
) -> tuple[dict, bool]:
    """Run ``action(uow)`` (which must not commit) and commit; returns its body and whether it was replayed."""
    async with uow_factory() as uow:
        if key:
            replay = await _replay(uow, principal.tenant, key, printed)
            if replay is not None:
                return replay, True
        try:
            body = await action(uow)
            if key:
                uow.repos.idempotency.store(principal.tenant, key, printed, status_code, body)
            await uow.commit()
        except IntegrityError as exc:
            await uow.rollback()
            if key:
                replay = await _replay(uow, principal.tenant, key, printed)
                if replay is not None:
                    return replay, True
            # A concurrent request changed the same step first (e.g. the same office signed).
            raise WrongState("another request changed this step at the same time; read it again") from exc
        return body, False


async def _replay(uow, tenant: str, key: str, printed: str) -> dict | None:
    record = await uow.repos.idempotency.get(tenant, key)
    if record is None:
        return None
    if record.fingerprint != printed:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was used for a different request",
            extra={"errors": [{"field": "header.Idempotency-Key", "reason": "already used for a different request"}]},
        )
    return record.body
