"""What the read-only rules API returns and accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wenze.rules import Citation, DecisionInfo, DocumentInfo, FiredRule
from wenze.rules.models import AppliedInterpretation


class DocumentSummary(BaseModel):
    """A rule document and its period of force."""

    id: str = Field(description="the document's id in the pack; its number when it has one")
    number: str | None = Field(default=None, description="official document number (文号)")
    title: str
    issued_by: str
    issued_on: dt.date | None = None
    in_force_from: dt.date | None = Field(default=None, description="null: start not known, in force since ever")
    in_force_until: dt.date | None = Field(default=None, description="exclusive; set when repealed")
    repealed_by: str | None = None
    text_available: bool = Field(description="false: the document is known but its text is not in the pack")
    articles: int = Field(description="entries in the document's article index")

    @classmethod
    def of(cls, doc: DocumentInfo) -> DocumentSummary:
        return cls(**doc.model_dump(exclude={"articles"}), articles=len(doc.articles))


class TenantPack(BaseModel):
    tenant: str
    title: str
    valid: bool = Field(description="false when the pack fails lint; its rules are then not served")
    issues: int = Field(default=0, description="lint issues of an invalid pack")
    decisions: int = 0
    documents: list[DocumentSummary] = Field(default_factory=list)


class ArticleRead(BaseModel):
    """One entry of a document's article index, with where its text stands."""

    citation: str = Field(description="as packs cite it: `<document> <article>`")
    document: str
    number: str | None = None
    article: str
    heading: str
    summary: str
    deciding: bool = Field(description="whether rules may rest on it (false for definitions, preambles)")
    source: str | None = Field(default=None, description="file the article's text stands in")
    line: int | None = None


class InputRead(BaseModel):
    name: str
    type: str
    vocab: str | None = None
    required: bool
    default: Any = None
    description: str = ""
    codes: dict[str, str] | None = Field(default=None, description="allowed codes with labels, for code types")


class OutputRead(BaseModel):
    name: str
    type: str
    vocab: str | None = None
    merge: str = Field(description="how values from several fired rules combine")
    description: str = ""


class RuleRead(BaseModel):
    id: str
    description: str = ""
    exception_to: str | None = None
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    citations: list[Citation]


class TableRead(BaseModel):
    name: str
    hit: str
    required: bool
    rules: list[RuleRead]


class DecisionRead(BaseModel):
    name: str
    description: str
    procedure: str | None = None
    file: str = Field(description="the pack file the decision is written in")
    inputs: list[InputRead]
    outputs: list[OutputRead]
    tables: list[TableRead]
    points: list[str] = Field(default_factory=list, description="interpretation points the outcome depends on")


class EvaluationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(default_factory=dict, description="fact name → value, see the decision's inputs")
    on: dt.date | None = Field(default=None, description="the relevant date; default today (China time)")


class DocumentInForce(DocumentSummary):
    applied: bool = Field(description="a fired rule cites this document")


class EvaluationRead(BaseModel):
    tenant: str
    decision: str
    on: dt.date
    outcome: dict[str, Any]
    explanation: list[FiredRule] = Field(description="the rules that fired, in order, with the facts each read")
    citations: list[Citation] = Field(description="every article cited by a fired rule, once")
    interpretations: list[AppliedInterpretation] = Field(
        default_factory=list,
        description="the interpretation points the outcome depended on, with the reading applied (chosen or default)",
    )
    documents: list[DocumentInForce] = Field(description="the pack's documents in force on `on`")


__all__ = [
    "ArticleRead",
    "DecisionInfo",
    "DecisionRead",
    "DocumentInForce",
    "DocumentSummary",
    "EvaluationCreate",
    "EvaluationRead",
    "TenantPack",
]
