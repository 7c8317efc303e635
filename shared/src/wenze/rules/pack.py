"""``RulePack``: what the services ask of one tenant's rules.

The pack is loaded and checked once (``wenze.rules.loading``) into the structures of
``wenze.rules.compiled``; decisions are answered by ``wenze.rules.evaluation``. This class
ties them together behind the methods the services call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wenze.rules.compiled import WORKFLOW_OUTPUTS, Decision
from wenze.rules.errors import RulesError, UnknownDecisionError
from wenze.rules.evaluation import evaluate_decision, governing_documents, out_of_period
from wenze.rules.loading import compile_pack
from wenze.rules.models import Citation, DecisionInfo, DocumentInfo, Evaluation, IntakeSource, LintIssue


class RulePack:
    """One tenant's rules: documents, vocabulary, intake, numbering and decisions."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._pack = compile_pack(directory)

    @property
    def tenant(self) -> str:
        return self._pack.tenant

    @property
    def title(self) -> str:
        return self._pack.title

    @property
    def time_zone(self) -> ZoneInfo:
        """The tenant's zone: what "today" and a document's issue date mean for it."""
        return self._pack.time_zone

    def today(self) -> date:
        """The tenant's date now."""
        return self.local_date(datetime.now(UTC))

    def local_date(self, instant: datetime) -> date:
        """The tenant's date at ``instant`` (an aware datetime), e.g. the day a document is issued."""
        return instant.astimezone(self._pack.time_zone).date()

    @property
    def vocabulary(self) -> dict[str, dict[str, str]]:
        return self._pack.vocabulary

    def parties_named_in(self, outcome: Mapping[str, Any]) -> set[str]:
        """The offices and bodies of this pack that a rule outcome names, whatever the role: a
        code, a list of codes, or the actor or those joining a step of a procedure or an
        escalation. Routing counts them party to a slip and review to the matter, so both show
        it to the same offices (docs/access.md)."""
        known = {code for vocabulary in ("offices", "bodies") for code in self.vocabulary.get(vocabulary, {})}
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, str):
                if value in known:
                    found.add(value)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, Mapping):
                for key in ("actor", "with", "joined_by"):
                    walk(value.get(key))

        for value in outcome.values():
            walk(value)
        return found

    @property
    def procedures(self) -> dict[str, dict[str, Any]]:
        return self._pack.procedures

    @property
    def workflow(self) -> dict[str, str]:
        """Workflow step → the decision bound to it."""
        return self._pack.workflow

    @property
    def route_per_target(self) -> bool:
        return self._pack.route_per_target

    @property
    def cited(self) -> set[tuple[str, str]]:
        """Every ``(document, article)`` some rule, intake source or numbering pattern cites."""
        return self._pack.cited

    @property
    def issues(self) -> list[LintIssue]:
        return list(self._pack.issues)

    @property
    def documents(self) -> list[DocumentInfo]:
        return list(self._pack.documents.values())

    def document(self, doc_id: str) -> DocumentInfo:
        return self._pack.documents[doc_id]

    def article(self, citation: str) -> Citation:
        doc_id, _, article = citation.strip().partition(" ")
        try:
            return self._pack.articles[(doc_id, article.strip())]
        except KeyError:
            raise RulesError(f"{self.tenant}: no article {citation!r} in the pack's index") from None

    def deciding_articles(self) -> list[Citation]:
        return [c for key, c in self._pack.articles.items() if self._pack.deciding[key]]

    def decisions(self) -> list[DecisionInfo]:
        return [d.info() for d in self._pack.decisions.values()]

    def decision(self, name: str) -> Decision:
        try:
            return self._pack.decisions[name]
        except KeyError:
            raise UnknownDecisionError(
                f"{self.tenant} has no decision {name!r}; it has {sorted(self._pack.decisions)}",
                tenant=self.tenant,
                decision=name,
            ) from None

    def workflow_decision(self, step: str) -> str | None:
        """The decision bound to a workflow step, or ``None`` where the pack has no such step."""
        if step not in WORKFLOW_OUTPUTS:
            raise ValueError(f"unknown workflow step {step!r}")
        return self._pack.workflow.get(step)

    def label(self, vocab: str, code: str) -> str:
        return self._pack.vocabulary.get(vocab, {}).get(code, code)

    def intake_sources(self, on: date, procedure: str | None = None) -> list[IntakeSource]:
        """The channels through which a matter may arrive on ``on`` (optionally for one procedure).

        Asking for a procedure whose rules are not in force (or not loaded) on that date is an
        error rather than an empty list: intake must not silently accept nothing.
        """
        chosen = [s for s in self._pack.sources if (procedure is None or s.procedure == procedure)]
        found = [
            IntakeSource(code=s.code, label=s.label, citation=s.citation, procedure=s.procedure)
            for s in chosen
            if s.period.contains(on)
        ]
        if not found:
            docs = governing_documents(self._pack, procedure, self._pack.documents)
            what = f"intake sources{f' ({procedure})' if procedure else ''}"
            raise out_of_period(self._pack, what, on, docs, procedure)
        return found

    def number_kinds(self) -> dict[str, str]:
        return {k: n.description for k, n in self._pack.numbering.items()}

    def number(self, kind: str, year: int, seq: int, on: date) -> str:
        """Format a document or registration number of ``kind`` (e.g. ``consultation``)."""
        spec = self._pack.numbering.get(kind)
        if spec is None:
            raise RulesError(
                f"{self.tenant} has no numbering kind {kind!r}; it has {sorted(self._pack.numbering)}",
                tenant=self.tenant,
                kind=kind,
            )
        if seq < 1 or year < 1900:
            raise RulesError(
                f"number {kind}: year {year} and sequence {seq} must be positive", tenant=self.tenant, kind=kind
            )
        if not spec.period.contains(on):
            docs = [spec.citation.document] if spec.citation else list(self._pack.documents)
            raise out_of_period(self._pack, f"numbering {kind!r}", on, docs, None)
        return spec.format(year, seq)

    def matter_number(self, year: int, seq: int, on: date) -> str:
        """The intake registration number: numbering kind ``matter``."""
        return self.number("matter", year, seq, on)

    def evaluate(self, decision: str, facts: Mapping[str, Any], on: date, calendar: Any = None) -> Evaluation:
        """Evaluate ``decision`` for ``facts`` under the rules in force on ``on``."""
        return evaluate_decision(self._pack, self.decision(decision), facts, on, calendar)
