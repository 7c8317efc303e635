"""Reading the tenant rule packs and evaluating their decisions for the rules API.

Packs are files loaded once per process by ``wenze.rules``; this layer picks the caller's
tenant's pack, shapes what the engine returns and turns every engine refusal into a
problem with a 4xx status: the engine refuses rather than guesses, and the caller needs
to know which fact, table, date or document made it refuse.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from wenze.calendar import WorkingCalendar
from wenze.problems import NotFound, Problem, ValidationFailed
from wenze.rules import (
    ConflictError,
    DeadlineUncomputableError,
    FactError,
    NoMatchError,
    NoRuleTextLoadedError,
    OutOfPeriodError,
    PackError,
    RulePack,
    RulesError,
    UnknownDecisionError,
    UnknownTenantError,
    get_pack,
    list_tenants,
)
from wenze_routing.rules.schemas import (
    ArticleRead,
    DecisionInfo,
    DecisionRead,
    DocumentInForce,
    DocumentSummary,
    EvaluationCreate,
    EvaluationRead,
    InputRead,
    OutputRead,
    RuleRead,
    TableRead,
    TenantPack,
)

logger = logging.getLogger(__name__)


class NoRulePack(NotFound):
    slug = "no-rule-pack"
    title = "No rule pack for the tenant"


class RulePackInvalid(Problem):
    # The deployed pack fails lint: the request is fine, the server's data is not.
    status = 503
    slug = "rule-pack-invalid"
    title = "The tenant's rule pack is invalid"


class UnknownDecision(NotFound):
    slug = "unknown-decision"
    title = "Unknown decision"


class UnknownDocument(NotFound):
    slug = "unknown-document"
    title = "Unknown document"


class InvalidFacts(ValidationFailed):
    slug = "invalid-facts"
    title = "The facts do not fit the decision's inputs"


class NoRuleMatched(Problem):
    status = 422
    slug = "no-rule-matched"
    title = "No rule matches these facts"


class OutOfPeriod(Problem):
    status = 422
    slug = "out-of-period"
    title = "No rule in force on that date"


class NoRuleTextLoaded(Problem):
    status = 422
    slug = "no-rule-text-loaded"
    title = "The governing document's text is not loaded"


class CalendarYearMissing(Problem):
    status = 422
    slug = "calendar-year-missing"
    title = "A deadline needs a calendar year that is not loaded"


class ConflictingOutputs(Problem):
    status = 422
    slug = "conflicting-outputs"
    title = "Two rules set one output to different values"


class RulesRefused(Problem):
    status = 422
    slug = "rules-refused"
    title = "The rules cannot decide"


def _fact_error(exc: FactError, decision: str) -> InvalidFacts:
    fact = exc.detail.get("fact")
    prefix = f"{decision}: fact {fact!r}: "
    reason = exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message
    field = f"body.facts.{fact}" if fact else "body.facts"
    return InvalidFacts(
        exc.message, extra={"fact": fact, "errors": [{"field": field, "reason": reason, "code": exc.code}]}
    )


def problem_for(exc: RulesError, decision: str = "") -> Problem:
    """The problem an engine error is reported as; the engine's details become members."""
    detail: dict[str, Any] = {"code": exc.code, **exc.detail}
    if isinstance(exc, FactError):
        return _fact_error(exc, decision)
    if isinstance(exc, UnknownDecisionError):
        return UnknownDecision(exc.message, extra=detail)
    if isinstance(exc, UnknownTenantError):
        return NoRulePack(exc.message, extra=detail)
    if isinstance(exc, PackError):
        return RulePackInvalid(exc.message, extra=detail)
    if isinstance(exc, NoRuleTextLoadedError):
        return NoRuleTextLoaded(exc.message, extra=detail)
    if isinstance(exc, OutOfPeriodError):
        return OutOfPeriod(exc.message, extra=detail)
    if isinstance(exc, NoMatchError):
        return NoRuleMatched(exc.message, extra=detail)
    if isinstance(exc, DeadlineUncomputableError):
        year = exc.detail.get("year")
        hint = f" A platform operator can load it with PUT /v1/calendar/years/{year}." if year else ""
        return CalendarYearMissing(exc.message + hint, extra=detail)
    if isinstance(exc, ConflictError):
        return ConflictingOutputs(exc.message, extra=detail)
    return RulesRefused(exc.message, extra=detail)


class RulesService:
    """Stateless: the packs are cached by ``wenze.rules`` for the life of the process."""

    def pack(self, tenant: str) -> RulePack:
        try:
            return get_pack(tenant)
        except RulesError as exc:
            raise problem_for(exc) from exc

    def tenants(self) -> list[TenantPack]:
        packs: list[TenantPack] = []
        for tenant in list_tenants():
            try:
                pack = get_pack(tenant)
            except PackError as exc:
                # One broken pack must not hide the others from the listing.
                packs.append(TenantPack(tenant=tenant, title="", valid=False, issues=len(exc.detail.get("issues", []))))
                continue
            packs.append(
                TenantPack(
                    tenant=tenant,
                    title=pack.title,
                    valid=True,
                    decisions=len(pack.decisions()),
                    documents=[DocumentSummary.of(d) for d in pack.documents],
                )
            )
        return packs

    def documents(self, tenant: str) -> list[DocumentSummary]:
        return [DocumentSummary.of(d) for d in self.pack(tenant).documents]

    def articles(self, tenant: str, document: str) -> list[ArticleRead]:
        pack = self.pack(tenant)
        doc = next((d for d in pack.documents if d.id == document or d.number == document), None)
        if doc is None:
            raise UnknownDocument(
                f"{tenant} has no document {document!r}; it has {[d.id for d in pack.documents]}",
                extra={"document": document},
            )
        deciding = {c.text for c in pack.deciding_articles()}
        return [
            ArticleRead(
                citation=a.text,
                deciding=a.text in deciding,
                **a.model_dump(include={"document", "number", "article", "heading", "summary", "source", "line"}),
            )
            for a in doc.articles
        ]

    def decisions(self, tenant: str) -> list[DecisionInfo]:
        return self.pack(tenant).decisions()

    def decision(self, tenant: str, name: str) -> DecisionRead:
        pack = self.pack(tenant)
        try:
            d = pack.decision(name)
        except RulesError as exc:
            raise problem_for(exc) from exc
        return DecisionRead(
            name=d.name,
            description=d.description,
            procedure=d.procedure,
            file=d.file,
            points=list(d.points),
            inputs=[
                InputRead(
                    name=s.name,
                    type=s.type,
                    vocab=s.vocab,
                    required=s.required,
                    default=s.default,
                    description=s.description,
                    codes=dict(pack.vocabulary.get(s.vocab, {})) if s.vocab else None,
                )
                for s in d.inputs.values()
            ],
            outputs=[
                OutputRead(name=s.name, type=s.type, vocab=s.vocab, merge=s.merge, description=s.description)
                for s in d.outputs.values()
            ],
            tables=[
                TableRead(
                    name=t.name,
                    hit=t.hit,
                    required=t.required,
                    rules=[
                        RuleRead(
                            id=r.id,
                            description=r.description,
                            exception_to=r.exception_to,
                            in_force_from=r.period.start,
                            in_force_until=r.period.end,
                            citations=list(r.citations),
                        )
                        for r in t.rules
                    ],
                )
                for t in d.tables
            ],
        )

    def evaluate(
        self,
        tenant: str,
        name: str,
        request: EvaluationCreate,
        calendar: WorkingCalendar,
        readings: Mapping[str, str] | None = None,
    ) -> EvaluationRead:
        """``readings``: the tenant's chosen reading of each interpretation point for the date."""
        pack = self.pack(tenant)
        on = request.on or pack.today()
        try:
            decision = pack.decision(name)
            _check_facts(name, decision.inputs, request.facts)
            evaluation = pack.evaluate(name, request.facts, on, calendar=calendar, readings=readings)
        except RulesError as exc:
            raise problem_for(exc, name) from exc
        except (TypeError, ValueError) as exc:
            # The pack is validated at load, so what is left to fail is a value inside the
            # facts the shape checks above do not reach (say, a text where a record's rule
            # compares numbers). That is the request's fault, never a server error.
            logger.warning("evaluation of %s/%s refused facts: %s", tenant, name, exc)
            raise InvalidFacts(
                f"{name}: the facts hold a value the rules cannot use: {exc}",
                extra={"errors": [{"field": "body.facts", "reason": str(exc), "code": "unusable_value"}]},
            ) from exc
        applied = set(evaluation.documents)
        return EvaluationRead(
            tenant=evaluation.tenant,
            decision=evaluation.decision,
            on=evaluation.on,
            outcome=evaluation.outcome,
            explanation=evaluation.explanation,
            citations=evaluation.citations,
            interpretations=evaluation.interpretations,
            documents=[
                DocumentInForce(**DocumentSummary.of(d).model_dump(), applied=d.id in applied)
                for d in pack.documents
                if d.in_force_on(on)
            ],
        )


def _invalid_fact(name: str, fact: str, reason: str, code: str, field: str | None = None) -> InvalidFacts:
    return InvalidFacts(
        f"{name}: fact {fact!r}: {reason}",
        extra={"fact": fact, "errors": [{"field": field or f"body.facts.{fact}", "reason": reason, "code": code}]},
    )


def _check_facts(name: str, inputs: Mapping[str, Any], facts: Mapping[str, Any]) -> None:
    """Refuse what the engine would ignore or trip over, naming the fact.

    The engine ignores facts a decision does not declare, so a misspelt fact would silently
    fall back to its default; and it looks codes up in the vocabulary, which only works for
    text. Everything else (types, vocabularies, required facts) the engine checks itself.
    """
    unknown = sorted(set(facts) - set(inputs))
    if unknown:
        reason = f"is not an input of {name}; its inputs are {sorted(inputs)}"
        raise InvalidFacts(
            f"{name}: unknown fact(s) {unknown}; its inputs are {sorted(inputs)}",
            extra={
                "fact": unknown[0],
                "errors": [{"field": f"body.facts.{f}", "reason": reason, "code": "unknown_fact"} for f in unknown],
            },
        )
    for fact, value in facts.items():
        kind = inputs[fact].type
        if value is None:
            continue
        if kind == "code" and not isinstance(value, str):
            raise _invalid_fact(name, fact, "expects a code (text)", "invalid_facts")
        if kind == "codes" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise _invalid_fact(name, fact, "expects a list of codes (text)", "invalid_facts")
        if kind == "records" and isinstance(value, list):
            for i, record in enumerate(value):
                if not isinstance(record, Mapping):
                    continue
                for key, item in record.items():
                    if key.endswith("_on") and isinstance(item, str) and not _is_iso_date(item):
                        raise _invalid_fact(
                            name,
                            fact,
                            f"record {i}: {key} expects an ISO date",
                            "invalid_facts",
                            f"body.facts.{fact}.{i}.{key}",
                        )


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
