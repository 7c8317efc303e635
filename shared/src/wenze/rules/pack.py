"""``RulePack``: what the services ask of one tenant's rules.

The pack is loaded and checked once (``wenze.rules.loading``) into the structures of
``wenze.rules.compiled``; decisions are answered by ``wenze.rules.evaluation``. This class
ties them together behind the methods the services call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wenze.rules.compiled import SELECTION_OUTPUT, WORKFLOW_OUTPUTS, CountedTrigger, Decision, NoticeSpec, Workflow
from wenze.rules.counting import CountedRecord, counted_facts
from wenze.rules.errors import RulesError, UnknownDecisionError
from wenze.rules.evaluation import evaluate_decision, governing_documents, out_of_period
from wenze.rules.loading import NOTICES_DIR, compile_pack
from wenze.rules.models import (
    Citation,
    DecisionInfo,
    DocumentInfo,
    Evaluation,
    IntakeSource,
    InterpretationPoint,
    LintIssue,
    ProcedureChoice,
)


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

    @cached_property
    def version(self) -> str:
        """The pack's content as a short digest of every file in it: two reports stamped with the
        same version were computed under the same rules, whatever the deployment."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.directory.rglob("*") if p.is_file()):
            digest.update(path.relative_to(self.directory).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
        return "sha256:" + digest.hexdigest()[:16]

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

    @cached_property
    def _party_codes(self) -> frozenset[str]:
        # The vocabulary is fixed once the pack is loaded: asked for every slip a batch opens.
        return frozenset(code for vocabulary in ("offices", "bodies") for code in self.vocabulary.get(vocabulary, {}))

    def parties_named_in(self, outcome: Mapping[str, Any]) -> set[str]:
        """The offices and bodies of this pack that a rule outcome names, whatever the role: a
        code, a list of codes, or the actor or those joining a step of a procedure or an
        escalation. Routing counts them party to a slip and review to the matter, so both show
        it to the same offices (docs/access.md)."""
        known = self._party_codes
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
    def workflows(self) -> dict[str, Workflow]:
        """Procedure → the workflow that drives it, in the pack's order."""
        return self._pack.workflows

    @property
    def default_procedure(self) -> str | None:
        """The procedure of the pack's first workflow: the one a case recorded before procedures
        were told apart belongs to."""
        return next(iter(self._pack.workflows), None)

    @property
    def procedure_selection(self) -> str | None:
        """The decision that chooses a matter's procedure, where the intake source does not."""
        return self._pack.procedure_selection

    def route_per_target(self, procedure: str | None = None) -> bool:
        workflow = self._workflow(procedure)
        return workflow.route_per_target if workflow else False

    def _workflow(self, procedure: str | None) -> Workflow | None:
        if procedure is None:
            procedure = self.default_procedure
        return self._pack.workflows.get(procedure) if procedure is not None else None

    def select_procedure(self, facts: Mapping[str, Any], on: date) -> ProcedureChoice:
        """The procedure, and so the workflow, a matter follows: chosen by the pack's selecting
        decision from the matter's facts where it names one, else by the matter's intake
        source, else the pack's only workflow. The citations say why."""
        if self._pack.procedure_selection is not None:
            evaluation = self.evaluate(self._pack.procedure_selection, facts, on)
            procedure = evaluation.outcome.get(SELECTION_OUTPUT)
            if procedure is None:
                raise RulesError(
                    f"{self.tenant}/{self._pack.procedure_selection} chose no procedure for these facts",
                    tenant=self.tenant,
                    decision=self._pack.procedure_selection,
                )
            return ProcedureChoice(procedure=str(procedure), citations=evaluation.citations)
        source = facts.get("source")
        for spec in self._pack.sources:
            if spec.code == source and spec.procedure is not None and spec.period.contains(on):
                return ProcedureChoice(procedure=spec.procedure, citations=[spec.citation])
        if len(self._pack.workflows) == 1:
            return ProcedureChoice(procedure=next(iter(self._pack.workflows)), citations=[])
        raise RulesError(
            f"{self.tenant}: intake source {source!r} names no procedure on {on.isoformat()}",
            tenant=self.tenant,
            source=source,
        )

    @property
    def counted_triggers(self) -> list[CountedTrigger]:
        """Decisions evaluated over the decisions counted per organisation and window, and the
        matter each opens when it holds (docs/intake.md#matters-opened-by-the-platform)."""
        return list(self._pack.counted_triggers)

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

    def workflow_decision(self, step: str, procedure: str | None = None) -> str | None:
        """The decision bound to a step of ``procedure``'s workflow (the default procedure's
        where ``None``), or ``None`` where that workflow has no such step."""
        if step not in WORKFLOW_OUTPUTS:
            raise ValueError(f"unknown workflow step {step!r}")
        workflow = self._workflow(procedure)
        return workflow.steps.get(step) if workflow else None

    def notices_on(self, event: str, on: date, *, measures: Iterable[str] = ()) -> list[NoticeSpec]:
        """Who the pack says is told what when ``event`` happens on ``on`` (``decision_made``, ``deadline_due``, …).

        An entry limited to measures of one vocabulary (``when: {measure_in: …}``) applies only
        when one of ``measures`` belongs to it."""
        given = set(measures)
        return [
            spec
            for spec in self._pack.notices
            if spec.event == event
            and spec.period.contains(on)
            and (spec.measure_in is None or given & set(self._pack.vocabulary.get(spec.measure_in, {})))
        ]

    def notice_template(self, notice: str) -> Path:
        """The Jinja2 template of ``notice`` (blocks ``subject`` and ``body``)."""
        return self.directory / NOTICES_DIR / f"{notice}.j2"

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

    def counted_trigger(self, decision: str) -> CountedTrigger:
        """The ``counted_triggers`` binding of ``decision``."""
        for binding in self._pack.counted_triggers:
            if binding.decision == decision:
                return binding
        raise RulesError(f"{self.tenant} binds no counted trigger to {decision!r}", tenant=self.tenant)

    def window_kind(self, binding: CountedTrigger, readings: Mapping[str, str] | None = None) -> str:
        """The counting window of ``binding``: its own, or the one the reading in force of the
        interpretation point it takes the window from gives."""
        if binding.window is not None:
            return binding.window
        assert binding.window_parameter is not None
        point = self.point(self._pack.parameters[binding.window_parameter])
        reading = point.reading((readings or {}).get(point.id, point.default))
        if reading is None:
            raise RulesError(
                f"{self.tenant}: interpretation point {point.id!r} has no such reading", tenant=self.tenant
            )
        return str(reading.parameters[binding.window_parameter])

    def evaluate_counted(
        self,
        binding: CountedTrigger,
        on: date,
        records: Iterable[CountedRecord],
        readings: Mapping[str, str] | None = None,
    ) -> Evaluation:
        """Evaluate a counted trigger for a decision made ``on`` over an organisation's counted records."""
        facts = counted_facts(binding, on, records, self.window_kind(binding, readings))
        return self.evaluate(binding.decision, facts, on, readings=readings)

    @property
    def points(self) -> list[InterpretationPoint]:
        """Where the documents leave the outcome open, the readings on offer and the default."""
        return list(self._pack.points.values())

    def point(self, point_id: str) -> InterpretationPoint:
        try:
            return self._pack.points[point_id]
        except KeyError:
            raise RulesError(
                f"{self.tenant} has no interpretation point {point_id!r}; it has {sorted(self._pack.points)}",
                tenant=self.tenant,
                point=point_id,
            ) from None

    def default_readings(self) -> dict[str, str]:
        """Point → the pack's default reading."""
        return {p.id: p.default for p in self._pack.points.values()}

    def evaluate(
        self,
        decision: str,
        facts: Mapping[str, Any],
        on: date,
        calendar: Any = None,
        readings: Mapping[str, str] | None = None,
    ) -> Evaluation:
        """Evaluate ``decision`` for ``facts`` under the rules in force on ``on``, each
        interpretation point it names read as ``readings`` says (point → reading), else by default."""
        return evaluate_decision(self._pack, self.decision(decision), facts, on, calendar, readings)
