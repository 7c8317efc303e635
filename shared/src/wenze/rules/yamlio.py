"""YAML reading for packs and cases.

PyYAML's default resolver follows YAML 1.1: `on`, `off`, `yes` and `no` become booleans and
unquoted dates become ``datetime.date``. Both surprise authors (a case key ``on:`` silently
turns into ``True``) and dates break JSON Schema validation, so packs are read with a
resolver that knows only ``true``/``false``, numbers and null; dates stay ISO strings and
the engine parses them where the schema says a date is expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class PackLoader(yaml.SafeLoader):
    pass


PackLoader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PackLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=PackLoader)


def yaml_error_location(exc: yaml.YAMLError) -> tuple[str, str]:
    """``(location, message)`` for a YAML syntax error, with 1-based line and column.

    PyYAML's own message spans several lines and repeats the file path; a lint issue already
    names the file, so only the position and the parser's complaint are kept.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    location = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "-"
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if problem is None:
        return location, f"YAML syntax error: {exc}"
    message = f"YAML syntax error: {problem}"
    if context:
        where = (
            f" at line {context_mark.line + 1}, column {context_mark.column + 1}"
            if context_mark is not None and context_mark is not mark
            else ""
        )
        message += f" ({context}{where})"
    return location, message
