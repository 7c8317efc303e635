"""Public, JSON-serialisable results of the rules engine.

These are what services store, what the routing API returns and what the CLI prints; they
carry no reference to the loaded pack so they can cross process boundaries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from wenze.rules.period import Period


class Citation(BaseModel):
    """A document number plus an article id, resolved against the pack's article index."""

    model_config = ConfigDict(frozen=True)

    document: str = Field(description="the document's id in the pack (its number when it has one)")
    number: str | None = Field(default=None, description="official document number, if any")
    article: str
    heading: str = ""
    summary: str = ""
    source: str | None = Field(default=None, description="seed file the article stands in")
    line: int | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The citation as written in packs and shown to users: ``<document> <article>``."""
        return f"{self.document} {self.article}"

    def __str__(self) -> str:
        return self.text


class DocumentInfo(BaseModel):
    """A rule document and its period of force, as the pack records it."""

    id: str
    number: str | None = None
    title: str
    issued_by: str
    issued_on: date | None = None
    in_force_from: date | None = Field(
        default=None, description="None means the start is not known: in force since ever"
    )
    in_force_until: date | None = Field(default=None, description="exclusive; the day a repealing document takes force")
    repealed_by: str | None = None
    text_available: bool = True
    articles: list[Citation] = Field(default_factory=list)

    @property
    def period(self) -> Period:
        return Period(self.in_force_from, self.in_force_until)

    def in_force_on(self, on: date) -> bool:
        return self.period.contains(on)

    def period_text(self) -> str:
        start = self.in_force_from.isoformat() if self.in_force_from else "(start unknown)"
        end = self.in_force_until.isoformat() if self.in_force_until else "…"
        return f"{start} – {end}"


class IntakeSource(BaseModel):
    """One channel through which a matter may reach the commission."""

    code: str = Field(description="stable ASCII slug, safe to store")
    label: str
    citation: Citation
    procedure: str | None = None


class FiredRule(BaseModel):
    """One rule that matched, the facts its condition read, what it set, and why."""

    table: str
    rule: str
    description: str = ""
    facts: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    citations: list[Citation] = Field(default_factory=list)


class Evaluation(BaseModel):
    """The outcome of one decision together with its explanation."""

    tenant: str
    decision: str
    on: date
    outcome: dict[str, Any]
    explanation: list[FiredRule]
    documents: list[str] = Field(default_factory=list, description="documents whose rules were in force on `on`")

    @property
    def fired(self) -> list[str]:
        return [f.rule for f in self.explanation]

    @property
    def citations(self) -> list[Citation]:
        seen: dict[str, Citation] = {}
        for fired in self.explanation:
            for citation in fired.citations:
                seen.setdefault(citation.text, citation)
        return list(seen.values())


class DecisionInfo(BaseModel):
    name: str
    description: str
    procedure: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict, description="fact name → its type")
    outputs: dict[str, str] = Field(default_factory=dict, description="output name → its type")


class LintIssue(BaseModel):
    tenant: str
    file: str
    location: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.tenant}/{self.file} {self.location}: {self.message}"
