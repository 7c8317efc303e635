"""Public, JSON-serialisable results of the rules engine.

These are what services store, what the routing API returns and what the CLI prints; they
carry no reference to the loaded pack so they can cross process boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

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


class ProcedureChoice(BaseModel):
    """The procedure a matter follows, and the articles (an intake source's, or the selecting
    decision's) that put it there."""

    procedure: str
    citations: list[Citation] = Field(default_factory=list)


class FiredRule(BaseModel):
    """One rule that matched, the facts its condition read, what it set, and why."""

    table: str
    rule: str
    description: str = ""
    facts: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    citations: list[Citation] = Field(default_factory=list)


class Reading(BaseModel):
    """One way of answering an interpretation point: the parameter values the decisions read."""

    id: str
    label: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    reason: str


class PointArticle(BaseModel):
    """An article an interpretation point turns on, with the lines of its source concerned."""

    citation: Citation
    lines: str = Field(default="", description="lines of the seed file, e.g. 283 or 267-291")


class InterpretationPoint(BaseModel):
    """A place where the documents do not settle an outcome, the readings on offer and the
    pack's default; ``affects`` are the decisions that name it."""

    id: str
    question: str
    articles: list[PointArticle]
    readings: list[Reading]
    default: str
    default_reason: str
    last_reviewed: date
    affects: list[str] = Field(default_factory=list)
    note: str = ""

    @property
    def parameters(self) -> list[str]:
        return list(dict.fromkeys(name for r in self.readings for name in r.parameters))

    def reading(self, reading_id: str) -> Reading | None:
        return next((r for r in self.readings if r.id == reading_id), None)


class AppliedInterpretation(BaseModel):
    """An interpretation point an outcome depended on, and the reading it was answered under."""

    point: str
    question: str
    reading: str
    label: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    default: bool = Field(description="whether the reading is the pack's default rather than a tenant's choice")
    citations: list[Citation] = Field(default_factory=list)


class Evaluation(BaseModel):
    """The outcome of one decision together with its explanation."""

    tenant: str
    decision: str
    on: date
    outcome: dict[str, Any]
    explanation: list[FiredRule]
    documents: list[str] = Field(default_factory=list, description="documents whose rules were in force on `on`")
    interpretations: list[AppliedInterpretation] = Field(
        default_factory=list, description="the interpretation points the outcome depended on, with the reading applied"
    )
    # The evaluator leaves ``explanation`` out and builds it on first read: most callers of a
    # hot decision read the outcome only, and the records were most of an evaluation's cost.
    _explain: Callable[[], list[FiredRule]] | None = PrivateAttr(default=None)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            if name == "explanation":
                private = self.__pydantic_private__
                explain = private.get("_explain") if private else None
                if explain is not None:
                    explanation = explain()
                    self.__dict__["explanation"] = explanation
                    private["_explain"] = None
                    return explanation
            return super().__getattr__(name)

    @model_serializer(mode="wrap")
    def _explained(self, handler: SerializerFunctionWrapHandler) -> Any:
        _ = self.explanation  # built before the fields are read
        return handler(self)

    def __getstate__(self) -> dict[Any, Any]:
        # Pickled (to another process), it carries its records, not the pack's rules.
        _ = self.explanation
        return super().__getstate__()

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
    points: list[str] = Field(default_factory=list, description="interpretation points the outcome depends on")


class LintIssue(BaseModel):
    tenant: str
    file: str
    location: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.tenant}/{self.file} {self.location}: {self.message}"
