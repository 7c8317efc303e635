"""Uploading attachments: the file into the tenant's store, the upload into the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator

from wenze_intake.attachments.storage import AttachmentStore
from wenze_intake.audit import Caller
from wenze_intake.repositories import IntakeUnitOfWorkFactory


class AttachmentService:
    def __init__(self, uow: IntakeUnitOfWorkFactory, store: AttachmentStore, max_bytes: int):
        self.uow = uow
        self.store = store
        self.max_bytes = max_bytes

    async def upload(self, caller: Caller, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        """Store the content under its sha256 and record who uploaded it; ``OverflowError``
        beyond ``max_bytes``.

        The file is in the store before its entry commits: should the entry fail, the file
        is referable by no matter yet, and uploading it again records it (the store keeps one
        copy per content)."""
        sha, size = await self.store.put(caller.tenant, chunks, self.max_bytes)
        async with self.uow() as uow:
            await uow.repos.audit.append(caller.tenant, [caller.did("attachment.upload", "attachment", sha, size=size)])
            await uow.commit()
        return sha, size
