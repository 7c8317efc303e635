"""Content-addressed attachment storage, one store per tenant: a file's path is its tenant and
its sha256.

Per tenant, because a matter references a file by its hash alone: with one store for all,
tenant B could reference (and so learn that tenant A holds) a file only A uploaded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path


class AttachmentStore:
    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, tenant: str, sha256: str) -> Path:
        return self.root / tenant / sha256[:2] / sha256

    def size_of(self, tenant: str, sha256: str) -> int | None:
        """The size of the file ``tenant`` uploaded with this hash, or ``None`` if it uploaded none."""
        path = self.path_for(tenant, sha256)
        return path.stat().st_size if path.exists() else None

    async def put(self, tenant: str, chunks: AsyncIterator[bytes], max_bytes: int) -> tuple[str, int]:
        """Stream content to ``tenant``'s store, hashing as it goes; refuses more than ``max_bytes``."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise OverflowError(max_bytes)
                    digest.update(chunk)
                    tmp.write(chunk)
            sha = digest.hexdigest()
            final = self.path_for(tenant, sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            # Rename is atomic: a reader never sees a half-written file under its hash.
            os.replace(tmp_name, final)
            return sha, size
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
