"""``Idempotency-Key`` on every POST, declared once at the HTTP edge.

An endpoint takes ``idempotency: Idempotency`` and hands it to its service, which runs the
request through ``wenze.db.idempotency.run_once`` (or stores the response itself in the same
transaction, as intake's single-statement registration does). An endpoint whose body is
streamed to disk takes ``UploadIdempotency`` instead, so the body is not read into memory: the
service identifies the request once it has the digest of what it stored. A replayed answer
carries ``Idempotency-Replayed: true``. Requests are told apart by a keyed fingerprint
(``wenze.db.idempotency.RequestFingerprints``, ``app.state.request_fingerprints``, which
:func:`wenze.http.app.create_service_app` sets from the service's person reference key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response

from wenze.auth import Principal, authenticate
from wenze.db.idempotency import IdempotentRequest, RequestFingerprints, plain_digest

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="repeat a POST safely: the same key and request return the first response",
    ),
]


def idempotent_request(
    request: Request, response: Response, principal: Principal, key: str, content_digest: str | bytes
) -> IdempotentRequest:
    """The request as identified for replays: its key, and who sent what to which path.

    ``content_digest`` is the body, or a digest of it for uploads streamed to disk."""
    parts = (principal.subject, request.method, request.url.path, content_digest)
    fingerprints: RequestFingerprints = request.app.state.request_fingerprints
    return IdempotentRequest(
        tenant=principal.tenant,
        key=key,
        fingerprint=fingerprints.of(*parts),
        plain_fingerprint=plain_digest(*parts),
        on_replay=lambda: response.headers.__setitem__("Idempotency-Replayed", "true"),
    )


async def _from_body(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(authenticate)],
    key: IdempotencyKey = None,
) -> IdempotentRequest | None:
    if key is None:
        return None
    # The JSON body FastAPI has already read (Starlette keeps it), not the parsed model: a
    # retry sends the same bytes.
    return idempotent_request(request, response, principal, key, await request.body())


Idempotency = Annotated[IdempotentRequest | None, Depends(_from_body)]


# Called with the digest of an upload's content (and of anything else that tells two uploads apart).
IdentifyUpload = Callable[[str], IdempotentRequest]


async def _for_upload(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(authenticate)],
    key: IdempotencyKey = None,
) -> IdentifyUpload | None:
    if key is None:
        return None
    return lambda content_digest: idempotent_request(request, response, principal, key, content_digest)


UploadIdempotency = Annotated[IdentifyUpload | None, Depends(_for_upload)]
