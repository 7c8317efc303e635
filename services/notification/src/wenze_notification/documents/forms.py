"""A pack's forms (``<pack>/forms/<kind>.yaml``): the title, the lines under it, the rows of a
form table or the paragraphs of a letter, each a Jinja2 text filled from the matter's fields.
The same filled form is set as DOCX and as PDF (``documents.render``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

FORMS_DIR = "forms"

_ENV = Environment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    lines: int = 1


@dataclass(frozen=True)
class FilledForm:
    """A form with every text filled: what both renderers set."""

    kind: str
    layout: str
    title: list[str]
    meta: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    issuer: str = ""
    classification: str = ""
    number: str = ""
    addressee: str = ""
    paragraphs: list[str] = field(default_factory=list)
    signature: str = ""
    signed_on: str = ""


@dataclass(frozen=True)
class FormSpec:
    kind: str
    numbering: str
    cite: str
    data: dict[str, Any]

    def fill(self, fields: dict[str, Any]) -> FilledForm:
        def text(template: str) -> str:
            return _ENV.from_string(template).render(fields).strip()

        data = self.data
        return FilledForm(
            kind=self.kind,
            layout=data.get("layout", "table"),
            title=[text(t) for t in _as_list(data.get("title", []))],
            meta=[text(m) for m in data.get("meta", [])],
            rows=[Row(r["label"], text(r.get("value", "")), int(r.get("lines", 1))) for r in data.get("rows", [])],
            issuer=text(data.get("issuer", "")),
            classification=text(data.get("classification", "")),
            number=str(fields.get("number", "")),
            addressee=text(data.get("addressee", "")),
            paragraphs=[text(p) for p in data.get("paragraphs", [])],
            signature=text(data.get("signature", "")),
            signed_on=str(fields.get("issued_on", "")),
        )


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def forms_of(pack_directory: Path) -> dict[str, FormSpec]:
    """The pack's forms by kind; a pack without forms has none."""
    return dict(_load(str(pack_directory)))


@cache
def _load(pack_directory: str) -> tuple[tuple[str, FormSpec], ...]:
    found = []
    for path in sorted((Path(pack_directory) / FORMS_DIR).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.append((data["form"], FormSpec(data["form"], data["numbering"], data["cite"], data)))
    return tuple(found)
