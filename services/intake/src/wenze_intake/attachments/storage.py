"""Content-addressed attachment storage: a file's path is its sha256."""

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

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def size_of(self, sha256: str) -> int | None:
        path = self.path_for(sha256)
        return path.stat().st_size if path.exists() else None

    async def put(self, chunks: AsyncIterator[bytes], max_bytes: int) -> tuple[str, int]:
        """Stream content to disk, hashing as it goes; refuses more than ``max_bytes``."""
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
            final = self.path_for(sha)
            final.parent.mkdir(exist_ok=True)
            # Rename is atomic: a reader never sees a half-written file under its hash.
            os.replace(tmp_name, final)
            return sha, size
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
