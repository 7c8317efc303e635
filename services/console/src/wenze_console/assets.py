"""Assets the console serves itself, for networks that reach no CDN: htmx (fetched at setup from
the npm registry, its integrity checked; see the Makefile) and the CJK font."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response
from fontTools.ttLib import TTCollection

from wenze.fonts import FontMissing, find_font

router = APIRouter()
_font: bytes | None = None
_font_lock = threading.Lock()


def font_bytes(path: Path | None = None) -> bytes:
    """The first face of wqy-zenhei's collection as a TrueType font: browsers load a single
    font from @font-face, not a collection."""
    global _font
    with _font_lock:
        if _font is None:
            collection = TTCollection(str(path or find_font()))
            out = io.BytesIO()
            collection.fonts[0].save(out)
            _font = out.getvalue()
        return _font


@router.get("/assets/wqy-zenhei.ttf", include_in_schema=False)
def font() -> Response:
    try:
        content = font_bytes()
    except FontMissing:
        return Response(status_code=404)
    return Response(content, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"})
