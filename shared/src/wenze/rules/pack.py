"""Loading a tenant's pack and evaluating its decisions.

Loading does all the expensive work once: YAML is validated against the JSON Schema, every
citation is resolved against the article index, every condition is compiled to a closure,
and each decision's rules are sliced by effective period so that evaluation is a bisect
plus a walk over the rules in force. Everything the linter reports is found here too, so a
pack that loads is a pack that lints clean.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import yaml
from pydantic import BaseModel

from wenze.rules import deadlines
from wenze.rules.conditions import Compiled, ConditionError, compile_condition
from wenze.rules.errors import (
    ConflictError,
    FactError,
    NoMatchError,
    NoRuleTextLoadedError,
    OutOfPeriodError,
    RulesError,
    UnknownDecisionError,
)
from wenze.rules.models import (
    Citation,
    DecisionInfo,
    DocumentInfo,
    Evaluation,
    FiredRule,
    IntakeSource,
    LintIssue,
)
from wenze.rules.period import Period, as_date
from wenze.rules.yamlio import load_yaml, yaml_error_location

_M = TypeVar("_M", bound=BaseModel)

SCHEMA_DIR = Path(__file__).with_name("schema")
PACK_FILE = "pack.yaml"
DOCUMENTS_FILE = "documents.yaml"
DECISIONS_DIR = "decisions"

INPUT_TYPES = ("bool", "int", "date", "string", "code", "codes", "records")
OUTPUT_TYPES = ("bool", "int", "string", "code", "codes", "steps", "deadline", "text")
# How fired rules combine into one output. `unique` refuses two different values, which is
# the safe default for single-valued outputs: a conflict is a pack bug, not a tie to break.
MERGES = ("unique", "union", "max", "min", "any", "all", "first", "last")
DEFAULT_MERGE = {"codes": "union", "steps": "union", "text": "union"}

_PLACEHOLDER = re.compile(r"\{(year|seq)(?::0([1-9])d)?\}")


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    return schema


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema(name))


@dataclass
class InputSpec:
    name: str
    type: str
    vocab: str | None
    required: bool
    default: Any
    description: str


@dataclass
class OutputSpec:
    name: str
    type: str
    vocab: str | None
    merge: str
    description: str


@dataclass
class Rule:
    id: str
    table: str
    description: str
    condition: Compiled
    then: dict[str, Any]
    citations: tuple[Citation, ...]
    period: Period
    exception_to: str | None
    file: str
    # Pydantic model instances are immutable once built; sharing one list per rule spares
    # rebuilding the citations on every evaluation.
    citation_list: list[Citation] = field(default_factory=list)


@dataclass
class Table:
    name: str
    hit: str
    required: bool
    rules: list[Rule]


@dataclass
class Decision:
    name: str
    description: str
    procedure: str | None
    file: str
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    tables: list[Table]
    # Bisect index over period boundaries: segments[i] holds, per table, the rules in force
    # for dates in [bounds[i-1], bounds[i]).
    bounds: list[date] = field(default_factory=list)
    segments: list[list[tuple[Table, list[Rule]]]] = field(default_factory=list)

    def info(self) -> DecisionInfo:
        def kind(t: str, vocab: str | None) -> str:
            return f"{t}<{vocab}>" if vocab else t

        return DecisionInfo(
            name=self.name,
            description=self.description,
            procedure=self.procedure,
            inputs={n: kind(s.type, s.vocab) for n, s in self.inputs.items()},
            outputs={n: kind(s.type, s.vocab) for n, s in self.outputs.items()},
        )

    def rules(self) -> Iterable[Rule]:
        for table in self.tables:
            yield from table.rules


@dataclass
class _Source:
    code: str
    label: str
    citation: Citation
    procedure: str | None
    period: Period


@dataclass
class _Numbering:
    kind: str
    pattern: str
    description: str
    citation: Citation | None
    period: Period


class _Issues:
    """Collects lint issues while the pack is built, with the file they belong to."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.items: list[LintIssue] = []

    def add(self, file: str, location: str, message: str) -> None:
        self.items.append(LintIssue(tenant=self.tenant, file=file, location=location, message=message))


# The workflow steps the services drive, and the outputs each bound decision must declare for
# the services to read (docs/workflow.md). Facts the services pass are named the same way in
# every pack, so a step's decision takes what it needs from one superset of facts.
WORKFLOW_OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "routing": {"handler": ("code",)},
    "recommendation": {"permitted_measures": ("codes",), "proposal_valid": ("bool",)},
    "factors": {},
    "joint_review": {"joint_review_required": ("bool",)},
    "decision": {"decided_by": ("code", "codes"), "hearing_required": ("bool",)},
    "simplified_procedure": {"simplified_allowed": ("bool",)},
}


class RulePack:
    """One tenant's rules: documents, vocabulary, intake, numbering and decisions."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.tenant = directory.name
        self._issues = _Issues(self.tenant)
        self.title = ""
        self.vocabulary: dict[str, dict[str, str]] = {}
        self.procedures: dict[str, dict[str, Any]] = {}
        self._documents: dict[str, DocumentInfo] = {}
        self._articles: dict[tuple[str, str], Citation] = {}
        self._deciding: dict[tuple[str, str], bool] = {}
        self._sources: list[_Source] = []
        self._numbering: dict[str, _Numbering] = {}
        self._decisions: dict[str, Decision] = {}
        self.workflow: dict[str, str] = {}
        self.route_per_target = False
        self.cited: set[tuple[str, str]] = set()
        self._load()

    # ------------------------------------------------------------------ loading

    def _read(self, path: Path, schema: str) -> Any:
        rel = path.relative_to(self.directory).as_posix()
        try:
            data = load_yaml(path)
        except yaml.YAMLError as exc:
            # A syntax error is the author's to fix like any other lint issue, so it is
            # reported with its position instead of aborting the whole pack.
            self._issues.add(rel, *yaml_error_location(exc))
            return None
        except (OSError, ValueError) as exc:
            self._issues.add(rel, "-", f"unreadable: {exc}")
            return None
        errors = sorted(_validator(schema).iter_errors(data), key=lambda e: list(e.path))
        for err in errors:
            where = "/".join(str(p) for p in err.path) or "-"
            self._issues.add(rel, where, f"schema: {err.message}")
        return None if errors else data

    def _load(self) -> None:
        pack = self._read(self.directory / PACK_FILE, "pack")
        docs = self._read(self.directory / DOCUMENTS_FILE, "documents")
        if pack is None or docs is None:
            return
        if pack["tenant"] != self.tenant:
            self._issues.add(PACK_FILE, "tenant", f"says {pack['tenant']!r}, directory is {self.tenant!r}")
        self.title = pack["title"]
        for name, items in pack["vocabulary"].items():
            self.vocabulary[name] = {item["code"]: item["label"] for item in items}
        # Intake source codes are vocabulary too, so decisions can take `source` as a fact.
        self.vocabulary.setdefault("intake_sources", {})
        for src in pack.get("intake_sources", []):
            self.vocabulary["intake_sources"].setdefault(src["code"], src["label"])
        self._load_documents(docs["documents"])
        self.procedures = pack.get("procedures", {})
        for code, proc in self.procedures.items():
            for doc in proc["documents"]:
                if doc not in self._documents:
                    self._issues.add(PACK_FILE, f"procedures/{code}", f"unknown document {doc!r}")
        self._load_sources(pack.get("intake_sources", []))
        self._load_numbering(pack.get("numbering", {}))
        for path in sorted((self.directory / DECISIONS_DIR).glob("*.yaml")):
            data = self._read(path, "decision")
            if data is not None:
                self._load_decision(data, path.relative_to(self.directory).as_posix())
        self._load_workflow(pack.get("workflow", {}))

    def _load_workflow(self, workflow: dict[str, Any]) -> None:
        self.route_per_target = bool(workflow.get("route_per_target", False))
        self.workflow = {k: v for k, v in workflow.items() if k in WORKFLOW_OUTPUTS}
        for step, name in self.workflow.items():
            decision = self._decisions.get(name)
            if decision is None:
                self._issues.add(PACK_FILE, f"workflow/{step}", f"unknown decision {name!r}")
                continue
            for output, types in WORKFLOW_OUTPUTS[step].items():
                spec = decision.outputs.get(output)
                if spec is None or spec.type not in types:
                    self._issues.add(
                        decision.file,
                        f"outputs/{output}",
                        f"the {step} step reads output {output!r} of type {' or '.join(types)}",
                    )

    def _load_documents(self, documents: list[dict[str, Any]]) -> None:
        for doc in documents:
            info = DocumentInfo(
                id=doc["id"],
                number=doc.get("number"),
                title=doc["title"],
                issued_by=doc["issued_by"],
                issued_on=as_date(doc.get("issued_on")),
                in_force_from=as_date(doc.get("in_force_from")),
                repealed_by=doc.get("repealed_by"),
                text_available=doc.get("text_available", True),
            )
            if info.id in self._documents:
                self._issues.add(DOCUMENTS_FILE, info.id, "document listed twice")
            self._documents[info.id] = info
            if info.text_available and not doc.get("articles"):
                self._issues.add(DOCUMENTS_FILE, info.id, "a document with text needs an article index")
            if not info.text_available and doc.get("articles"):
                self._issues.add(DOCUMENTS_FILE, info.id, "text_available is false but articles are listed")
            for art in doc.get("articles", []):
                key = (info.id, art["id"])
                if key in self._articles:
                    self._issues.add(DOCUMENTS_FILE, f"{info.id} {art['id']}", "article listed twice")
                citation = Citation(
                    document=info.id,
                    number=info.number,
                    article=art["id"],
                    heading=art["heading"],
                    summary=art["summary"],
                    source=doc.get("source"),
                    line=art.get("line"),
                )
                self._articles[key] = citation
                self._deciding[key] = art.get("deciding", True)
                info.articles.append(citation)
        # Repeal closes the repealed document's period on the day the new one takes force.
        for info in self._documents.values():
            if info.repealed_by is None:
                continue
            repealer = self._documents.get(info.repealed_by)
            if repealer is None:
                self._issues.add(DOCUMENTS_FILE, info.id, f"repealed_by unknown document {info.repealed_by!r}")
            elif repealer.in_force_from is None:
                self._issues.add(DOCUMENTS_FILE, repealer.id, "a repealing document needs in_force_from")
            else:
                info.in_force_until = repealer.in_force_from

    def cite(self, text: str, file: str = PACK_FILE, where: str = "-") -> Citation | None:
        """Resolve ``"<document> <article>"`` against the index; record an issue if absent."""
        doc_id, _, article = text.strip().partition(" ")
        article = article.strip()
        if doc_id not in self._documents:
            self._issues.add(file, where, f"citation {text!r}: unknown document {doc_id!r}")
            return None
        citation = self._articles.get((doc_id, article))
        if citation is None:
            self._issues.add(file, where, f"citation {text!r}: no article {article!r} in {doc_id}'s index")
            return None
        self.cited.add((doc_id, article))
        return citation

    def _period_of(self, citations: Iterable[Citation], explicit: Mapping[str, Any] | None) -> Period:
        period = Period()
        for c in citations:
            period = period.intersection(self._documents[c.document].period)
        if explicit:
            period = period.intersection(Period.from_iso(explicit.get("from"), explicit.get("until")))
        return period

    def _vocab_key(self, vocab: str | list[str] | None, file: str, where: str) -> str | None:
        """Name of the vocabulary a value must come from; a list names their union."""
        if vocab is None:
            return None
        names = [vocab] if isinstance(vocab, str) else list(vocab)
        for name in names:
            if name not in self.vocabulary:
                self._issues.add(file, where, f"unknown vocabulary {name!r}")
        key = "|".join(names)
        if key not in self.vocabulary:
            merged: dict[str, str] = {}
            for name in names:
                merged.update(self.vocabulary.get(name, {}))
            self.vocabulary[key] = merged
        return key

    def _check_code(self, vocab: str, value: Any, file: str, where: str) -> None:
        known = self.vocabulary.get(vocab)
        if known is None:
            self._issues.add(file, where, f"unknown vocabulary {vocab!r}")
        elif value not in known:
            self._issues.add(file, where, f"{value!r} is not in vocabulary {vocab!r}")

    def _load_sources(self, sources: list[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for i, src in enumerate(sources):
            where = f"intake_sources/{i}"
            citation = self.cite(src["cite"], PACK_FILE, where)
            procedure = src.get("procedure")
            if procedure is not None and procedure not in self.procedures:
                self._issues.add(PACK_FILE, where, f"unknown procedure {procedure!r}")
            key = f"{procedure}:{src['code']}"
            if key in seen:
                self._issues.add(PACK_FILE, where, f"source code {src['code']!r} repeated")
            seen.add(key)
            if citation is not None:
                period = self._period_of([citation], src.get("effective"))
                self._sources.append(_Source(src["code"], src["label"], citation, procedure, period))

    def _load_numbering(self, numbering: dict[str, dict[str, Any]]) -> None:
        for kind, spec in numbering.items():
            where = f"numbering/{kind}"
            pattern = spec["pattern"]
            if "{seq" not in pattern or _PLACEHOLDER.sub("", pattern).count("{"):
                self._issues.add(PACK_FILE, where, "pattern needs {seq} and only {year}/{seq}/{seq:0Nd}")
            citation = None
            if "cite" in spec:
                citation = self.cite(spec["cite"], PACK_FILE, where)
            elif spec.get("convention") != "platform":
                self._issues.add(PACK_FILE, where, "a numbering pattern cites its form or says convention: platform")
            period = self._period_of([citation] if citation else [], spec.get("effective"))
            self._numbering[kind] = _Numbering(kind, pattern, spec.get("description", ""), citation, period)

    def _load_decision(self, data: dict[str, Any], file: str) -> None:
        name = data["decision"]
        if name in self._decisions:
            self._issues.add(file, "decision", f"decision {name!r} defined twice")
        procedure = data.get("procedure")
        if procedure is not None and procedure not in self.procedures:
            self._issues.add(file, "procedure", f"unknown procedure {procedure!r}")
        inputs = {
            n: InputSpec(
                n,
                s["type"],
                self._vocab_key(s.get("vocab"), file, n),
                s.get("required", False),
                s.get("default"),
                s.get("description", ""),
            )
            for n, s in data.get("inputs", {}).items()
        }
        outputs = {
            n: OutputSpec(
                n,
                s["type"],
                self._vocab_key(s.get("vocab"), file, n),
                s.get("merge", DEFAULT_MERGE.get(s["type"], "unique")),
                s.get("description", ""),
            )
            for n, s in data.get("outputs", {}).items()
        }
        for n in set(inputs) & set(outputs):
            self._issues.add(file, n, "a name is either an input or an output, not both")
        for n, spec in inputs.items():
            if spec.default is not None and spec.vocab:
                for v in spec.default if isinstance(spec.default, list) else [spec.default]:
                    self._check_code(spec.vocab, v, file, f"inputs/{n}/default")
        decision = Decision(name, data["description"], procedure, file, inputs, outputs, [])
        known_names = set(inputs)
        rule_ids: dict[str, list[Rule]] = {}
        for t_index, tdata in enumerate(data["tables"]):
            table = Table(tdata["name"], tdata["hit"], tdata.get("required", False), [])
            for r_index, rdata in enumerate(tdata["rules"]):
                rule = self._load_rule(decision, table, rdata, known_names, f"tables/{t_index}/rules/{r_index}")
                if rule is not None:
                    table.rules.append(rule)
                    rule_ids.setdefault(rule.id, []).append(rule)
            known_names |= {k for r in table.rules for k in r.then}
            decision.tables.append(table)
        for rid, versions in rule_ids.items():
            for i, a in enumerate(versions):
                for b in versions[i + 1 :]:
                    if a.period.overlaps(b.period):
                        self._issues.add(file, rid, f"two versions of rule {rid!r} overlap: {a.period} and {b.period}")
        all_ids = set(rule_ids)
        for rule in decision.rules():
            if rule.exception_to is not None and rule.exception_to not in all_ids:
                self._issues.add(file, rule.id, f"exception_to unknown rule {rule.exception_to!r}")
        for table in decision.tables:
            table.rules = _exceptions_first(table.rules)
        _index_periods(decision)
        self._decisions[name] = decision

    def _load_rule(
        self, decision: Decision, table: Table, rdata: dict[str, Any], known: set[str], where: str
    ) -> Rule | None:
        file = decision.file
        rid = rdata["id"]
        where = f"{where} ({rid})"
        try:
            condition = compile_condition(rdata.get("when"))
        except ConditionError as exc:
            self._issues.add(file, where, f"condition: {exc}")
            return None
        for name in condition.names:
            if name not in known:
                self._issues.add(
                    file,
                    where,
                    f"condition reads {name!r}, which is neither an input nor an output of an earlier table",
                )
        for fact, op, literal in condition.literals:
            spec = decision.inputs.get(fact)
            if spec is not None and spec.vocab and op not in ("is_set", "len_gte", "len_lte", "within"):
                for v in literal if isinstance(literal, list) else [literal]:
                    self._check_code(spec.vocab, v, file, where)
        citations = [c for text in rdata["cite"] if (c := self.cite(text, file, where)) is not None]
        then = dict(rdata.get("then", {}))
        for key, value in then.items():
            out = decision.outputs.get(key)
            if out is None:
                self._issues.add(file, where, f"sets {key!r}, which is not a declared output")
                continue
            self._check_value(out, value, file, f"{where}/then/{key}")
        period = self._period_of(citations, rdata.get("effective"))
        if period.is_empty:
            self._issues.add(file, where, f"effective period {period} is empty")
        for c in citations:
            if not self._documents[c.document].text_available:
                self._issues.add(file, where, f"cites {c.document}, whose text is not loaded")
        return Rule(
            id=rid,
            table=table.name,
            description=rdata.get("description", ""),
            condition=condition,
            then=then,
            citations=tuple(citations),
            period=period,
            exception_to=rdata.get("exception_to"),
            file=file,
            citation_list=list(citations),
        )

    def _check_value(self, out: OutputSpec, value: Any, file: str, where: str) -> None:
        def bad(msg: str) -> None:
            self._issues.add(file, where, msg)

        t = out.type
        if t == "bool" and not isinstance(value, bool):
            bad("expects true/false")
        elif t == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            bad("expects an integer")
        elif t in ("string", "text") and not isinstance(value, str | list):
            bad("expects text")
        elif t == "code":
            if out.vocab:
                self._check_code(out.vocab, value, file, where)
        elif t == "codes":
            if not isinstance(value, list):
                bad("expects a list of codes")
            elif out.vocab:
                for v in value:
                    self._check_code(out.vocab, v, file, where)
        elif t == "steps":
            if not isinstance(value, list) or not all(isinstance(s, dict) and "step" in s for s in value):
                bad("expects a list of {step, actor, action}")
            else:
                for s in value:
                    for actor in [s.get("actor"), *s.get("with", [])]:
                        if actor is not None and out.vocab:
                            self._check_code(out.vocab, actor, file, where)
                    if "cite" in s:
                        self.cite(s["cite"], file, where)
        elif t == "deadline":
            try:
                deadlines.parse(value)
            except (ValueError, TypeError, KeyError) as exc:
                bad(f"deadline: {exc}")

    # ------------------------------------------------------------------ public API

    @property
    def issues(self) -> list[LintIssue]:
        return list(self._issues.items)

    @property
    def documents(self) -> list[DocumentInfo]:
        return list(self._documents.values())

    def document(self, doc_id: str) -> DocumentInfo:
        return self._documents[doc_id]

    def article(self, citation: str) -> Citation:
        doc_id, _, article = citation.strip().partition(" ")
        try:
            return self._articles[(doc_id, article.strip())]
        except KeyError:
            raise RulesError(f"{self.tenant}: no article {citation!r} in the pack's index") from None

    def deciding_articles(self) -> list[Citation]:
        return [c for key, c in self._articles.items() if self._deciding[key]]

    def decisions(self) -> list[DecisionInfo]:
        return [d.info() for d in self._decisions.values()]

    def decision(self, name: str) -> Decision:
        try:
            return self._decisions[name]
        except KeyError:
            raise UnknownDecisionError(
                f"{self.tenant} has no decision {name!r}; it has {sorted(self._decisions)}",
                tenant=self.tenant,
                decision=name,
            ) from None

    def workflow_decision(self, step: str) -> str | None:
        """The decision bound to a workflow step, or ``None`` where the pack has no such step."""
        if step not in WORKFLOW_OUTPUTS:
            raise ValueError(f"unknown workflow step {step!r}")
        return self.workflow.get(step)

    def label(self, vocab: str, code: str) -> str:
        return self.vocabulary.get(vocab, {}).get(code, code)

    def _period_error(self, what: str, on: date, doc_ids: Iterable[str], procedure: str | None) -> RulesError:
        docs = [self._documents[d] for d in dict.fromkeys(doc_ids)]
        listed = [
            {
                "document": d.id,
                "title": d.title,
                "in_force_from": d.in_force_from,
                "in_force_until": d.in_force_until,
                "text_available": d.text_available,
            }
            for d in docs
        ]
        for d in listed:
            for k in ("in_force_from", "in_force_until"):
                d[k] = d[k].isoformat() if d[k] else None
        missing = [d for d in docs if not d.text_available and d.in_force_on(on)]
        names = "; ".join(f"{d.id} 《{d.title}》 {d.period_text()}" for d in docs)
        if missing:
            m = missing[0]
            return NoRuleTextLoadedError(
                f"{self.tenant}: {what} on {on}: the governing document is {m.id} "
                f"({m.period_text()}), whose text is not loaded; no rule text exists for that date. "
                f"Documents: {names}",
                on=on,
                documents=listed,
                tenant=self.tenant,
                procedure=procedure,
            )
        return OutOfPeriodError(
            f"{self.tenant}: {what} on {on}: no rule in force on that date. Documents: {names}",
            on=on,
            documents=listed,
            tenant=self.tenant,
            procedure=procedure,
        )

    def _procedure_docs(self, procedure: str | None, fallback: Iterable[str]) -> list[str]:
        if procedure is not None and procedure in self.procedures:
            return list(self.procedures[procedure]["documents"])
        return list(fallback)

    def intake_sources(self, on: date, procedure: str | None = None) -> list[IntakeSource]:
        """The channels through which a matter may arrive on ``on`` (optionally for one procedure).

        Asking for a procedure whose rules are not in force (or not loaded) on that date is an
        error rather than an empty list: intake must not silently accept nothing.
        """
        chosen = [s for s in self._sources if (procedure is None or s.procedure == procedure)]
        found = [
            IntakeSource(code=s.code, label=s.label, citation=s.citation, procedure=s.procedure)
            for s in chosen
            if s.period.contains(on)
        ]
        if not found:
            docs = self._procedure_docs(procedure, self._documents)
            raise self._period_error(f"intake sources{f' ({procedure})' if procedure else ''}", on, docs, procedure)
        return found

    def number_kinds(self) -> dict[str, str]:
        return {k: n.description for k, n in self._numbering.items()}

    def number(self, kind: str, year: int, seq: int, on: date) -> str:
        """Format a document or registration number of ``kind`` (e.g. ``consultation``)."""
        spec = self._numbering.get(kind)
        if spec is None:
            raise RulesError(
                f"{self.tenant} has no numbering kind {kind!r}; it has {sorted(self._numbering)}",
                tenant=self.tenant,
                kind=kind,
            )
        if seq < 1 or year < 1900:
            raise RulesError(
                f"number {kind}: year {year} and sequence {seq} must be positive", tenant=self.tenant, kind=kind
            )
        if not spec.period.contains(on):
            docs = [spec.citation.document] if spec.citation else list(self._documents)
            raise self._period_error(f"numbering {kind!r}", on, docs, None)

        def fill(m: re.Match[str]) -> str:
            value = year if m.group(1) == "year" else seq
            width = int(m.group(2) or 0)
            return str(value).zfill(width)

        return _PLACEHOLDER.sub(fill, spec.pattern)

    def matter_number(self, year: int, seq: int, on: date) -> str:
        """The intake registration number: numbering kind ``matter``."""
        return self.number("matter", year, seq, on)

    # ------------------------------------------------------------------ evaluation

    def _facts(self, decision: Decision, facts: Mapping[str, Any]) -> dict[str, Any]:
        env: dict[str, Any] = {}
        for name, spec in decision.inputs.items():
            value = facts.get(name)
            if value is None:
                if spec.required:
                    raise FactError(f"{decision.name}: fact {name!r} is required", fact=name)
                value = spec.default
                if value is None:
                    continue
            env[name] = _coerce(decision.name, spec, value, self.vocabulary)
        return env

    def evaluate(self, decision: str, facts: Mapping[str, Any], on: date, calendar: Any = None) -> Evaluation:
        """Evaluate ``decision`` for ``facts`` under the rules in force on ``on``."""
        d = self.decision(decision)
        env = self._facts(d, facts)
        segment = d.segments[bisect.bisect_right(d.bounds, on)]
        if not any(rules for _, rules in segment):
            raise self._period_error(
                f"decision {decision!r}", on, self._procedure_docs(d.procedure, _cited_docs(d)), d.procedure
            )
        outcome: dict[str, Any] = {}
        fired: list[FiredRule] = []
        outputs = d.outputs
        in_force: dict[str, None] = {}
        for table, rules in segment:
            suppressed: set[str] = set()
            hit = False
            for rule in rules:
                if rule.id in suppressed or not rule.condition.test(env):
                    continue
                hit = True
                if rule.exception_to is not None:
                    suppressed.add(rule.exception_to)
                set_now: dict[str, Any] = {}
                for key, raw in rule.then.items():
                    spec = outputs[key]
                    value = deadlines.evaluate(raw, env, calendar) if spec.type == "deadline" else raw
                    set_now[key] = value
                    _merge(outcome, spec, value, rule)
                    env[key] = outcome[key]
                for c in rule.citations:
                    in_force[c.document] = None
                fired.append(
                    _construct(
                        FiredRule,
                        {
                            "table": table.name,
                            "rule": rule.id,
                            "description": rule.description,
                            "facts": {n: _jsonable(env.get(n)) for n in rule.condition.names},
                            "outputs": set_now,
                            "citations": rule.citation_list,
                        },
                    )
                )
                if table.hit == "first":
                    break
            if not hit and table.required:
                raise NoMatchError(
                    f"{self.tenant}/{decision}: no rule of table {table.name!r} matches these facts",
                    table=table.name,
                    facts={k: _jsonable(v) for k, v in env.items()},
                )
        return _construct(
            Evaluation,
            {
                "tenant": self.tenant,
                "decision": decision,
                "on": on,
                "outcome": outcome,
                "explanation": fired,
                "documents": list(in_force),
            },
        )


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """What ``model_construct`` does for a model with every field given and no extras,
    without its per-call field walk: the evaluator builds several models per decision and
    this was most of the time spent. Values are already valid (the pack is validated at load)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _cited_docs(decision: Decision) -> list[str]:
    return list(dict.fromkeys(c.document for r in decision.rules() for c in r.citations))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if all(isinstance(v, str) for v in value) else list(value)
    return value


def _coerce(decision: str, spec: InputSpec, value: Any, vocabulary: Mapping[str, Mapping[str, str]]) -> Any:
    def fail(msg: str) -> FactError:
        return FactError(f"{decision}: fact {spec.name!r}: {msg}", fact=spec.name, value=_jsonable(value))

    t = spec.type
    if t == "bool":
        if not isinstance(value, bool):
            raise fail("expects true or false")
        return value
    if t == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail("expects an integer")
        return value
    if t == "date":
        try:
            return as_date(value)
        except (TypeError, ValueError):
            raise fail("expects an ISO date") from None
    if t == "string":
        if not isinstance(value, str):
            raise fail("expects text")
        return value
    if t == "code":
        if spec.vocab and value not in vocabulary[spec.vocab]:
            raise fail(f"{value!r} is not one of {sorted(vocabulary[spec.vocab])}")
        return value
    if t == "codes":
        if not isinstance(value, list | tuple | set | frozenset):
            raise fail("expects a list")
        if spec.vocab:
            unknown = [v for v in value if v not in vocabulary[spec.vocab]]
            if unknown:
                raise fail(f"{unknown} not in {sorted(vocabulary[spec.vocab])}")
        return frozenset(value)
    if t == "records":
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise fail("expects a list of mappings")
        return [
            {k: (as_date(v) if k.endswith("_on") and isinstance(v, str) else v) for k, v in item.items()}
            for item in value
        ]
    raise fail(f"unknown input type {t!r}")


def _merge(outcome: dict[str, Any], spec: OutputSpec, value: Any, rule: Rule) -> None:
    key = spec.name
    if key not in outcome:
        outcome[key] = list(value) if isinstance(value, list) else value
        return
    current = outcome[key]
    how = spec.merge
    if how == "union":
        for item in value if isinstance(value, list) else [value]:
            if item not in current:
                current.append(item)
    elif how == "unique":
        if current != value:
            raise ConflictError(
                f"rule {rule.id!r} sets {key!r} to {value!r}, an earlier rule set {current!r}",
                output=key,
                rule=rule.id,
            )
    elif how in ("max", "min"):
        a, b = _sort_key(current), _sort_key(value)
        if (how == "max" and b > a) or (how == "min" and b < a):
            outcome[key] = value
    elif how == "any":
        outcome[key] = bool(current) or bool(value)
    elif how == "all":
        outcome[key] = bool(current) and bool(value)
    elif how == "last":
        outcome[key] = value


def _sort_key(value: Any) -> Any:
    # Deadlines compare by due date (the longer after-effect wins under `max`).
    if isinstance(value, dict) and "due" in value:
        return value["due"] or ""
    return value


def _exceptions_first(rules: list[Rule]) -> list[Rule]:
    """Place each exception before the rule it overrides (Catala's exception ordering)."""
    ordered = list(rules)
    for rule in rules:
        if rule.exception_to is None:
            continue
        base = next((i for i, r in enumerate(ordered) if r.id == rule.exception_to), None)
        own = ordered.index(rule)
        if base is not None and own > base:
            ordered.pop(own)
            ordered.insert(base, rule)
    return ordered


def _index_periods(decision: Decision) -> None:
    bounds = sorted({d for r in decision.rules() for d in r.period.boundaries})
    decision.bounds = bounds
    # A representative date per segment: date.min for the open start, else the segment start.
    representatives = [date.min, *bounds]
    decision.segments = [
        [(t, [r for r in t.rules if r.period.contains(rep)]) for t in decision.tables] for rep in representatives
    ]
