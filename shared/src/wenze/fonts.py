"""The CJK font the platform sets Chinese text in (PDF documents, charts).

`make install` fetches Debian's fonts-wqy-zenhei into the repository's ``.tools/fonts``
(no system-wide install needed); the container images install the package itself. Services
look for the file where their settings say, then up from the working directory and the
installed package (a relative path), then where Debian installs it.
"""

from __future__ import annotations

from pathlib import Path

FONT_NAME = "wqy-zenhei.ttc"
DEFAULT_FONT_PATH = Path(".tools/fonts") / FONT_NAME
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy") / FONT_NAME


class FontMissing(RuntimeError):
    """No CJK font: the setup did not run (`make install`) or the configured path is wrong."""


def find_font(configured: Path = DEFAULT_FONT_PATH) -> Path:
    candidates = [configured]
    if not configured.is_absolute():
        candidates += [parent / configured for parent in Path.cwd().parents]
        candidates += [parent / configured for parent in Path(__file__).resolve().parents]
    candidates.append(SYSTEM_FONT)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise FontMissing(f"no CJK font at {configured} or {SYSTEM_FONT}; run `make install`")
