"""A notice's subject and body from the pack's Jinja2 template (``<pack>/notices/<notice>.j2``,
blocks ``subject`` and ``body``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template


@cache
def _environment(directory: str) -> Environment:
    # Plain text (e-mail, inbox), not HTML: nothing to escape.
    return Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(path: Path) -> Template:
    return _environment(str(path.parent)).get_template(path.name)


def render_notice(path: Path, context: dict[str, Any]) -> tuple[str, str]:
    """``(subject, body)``: the subject on one line, the body as written."""
    template = _template(path)
    ctx = template.new_context(context)
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx)).strip() + "\n"
    return " ".join(subject.split()), body
