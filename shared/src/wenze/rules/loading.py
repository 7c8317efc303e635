"""Reading a tenant's pack files into a ``CompiledPack``, and everything the linter reports.

Loading does all the expensive work once: YAML is validated against the JSON Schema, every
citation is resolved against the article index, every condition is compiled to a closure,
and each decision's rules are sliced by effective period so that evaluation is a bisect
plus a walk over the rules in force. Every problem found on the way becomes a lint issue
rather than an exception, so a pack that loads without issues is a pack that lints clean.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import yaml

from wenze.rules import deadlines
from wenze.rules.compiled import (
    DEFAULT_MERGE,
    DEFAULT_TIME_ZONE,
    NUMBER_PLACEHOLDER,
    WORKFLOW_OUTPUTS,
    CompiledPack,
    Decision,
    InputSpec,
    NumberingSpec,
    OutputSpec,
    Rule,
    SourceSpec,
    Table,
)
from wenze.rules.conditions import ConditionError, compile_condition
from wenze.rules.models import Citation, DocumentInfo, LintIssue
from wenze.rules.period import Period, as_date
from wenze.rules.yamlio import load_yaml, yaml_error_location

SCHEMA_DIR = Path(__file__).with_name("schema")
PACK_FILE = "pack.yaml"
DOCUMENTS_FILE = "documents.yaml"
DECISIONS_DIR = "decisions"


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    return schema


def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator for one kind of pack file: ``pack``, ``documents``, ``decision`` or ``cases``."""
    return jsonschema.Draft202012Validator(_schema(name))


def compile_pack(directory: Path) -> CompiledPack:
    """The pack in ``directory`` (named after its tenant), with whatever is wrong in ``issues``."""
    builder = _PackBuilder(directory)
    builder.load()
    return builder.pack


class _PackBuilder:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pack = CompiledPack(tenant=directory.name)

    def _issue(self, file: str, location: str, message: str) -> None:
        self.pack.issues.append(LintIssue(tenant=self.pack.tenant, file=file, location=location, message=message))

    def _read(self, path: Path, schema: str) -> Any:
        rel = path.relative_to(self.directory).as_posix()
        try:
            data = load_yaml(path)
        except yaml.YAMLError as exc:
            # A syntax error is the author's to fix like any other lint issue, so it is
            # reported with its position instead of aborting the whole pack.
            self._issue(rel, *yaml_error_location(exc))
            return None
        except (OSError, ValueError) as exc:
            self._issue(rel, "-", f"unreadable: {exc}")
            return None
        errors = sorted(schema_validator(schema).iter_errors(data), key=lambda e: list(e.path))
        for err in errors:
            where = "/".join(str(p) for p in err.path) or "-"
            self._issue(rel, where, f"schema: {err.message}")
        return None if errors else data

    def load(self) -> None:
        pack_data = self._read(self.directory / PACK_FILE, "pack")
        docs = self._read(self.directory / DOCUMENTS_FILE, "documents")
        if pack_data is None or docs is None:
            return
        pack = self.pack
        if pack_data["tenant"] != pack.tenant:
            self._issue(PACK_FILE, "tenant", f"says {pack_data['tenant']!r}, directory is {pack.tenant!r}")
        pack.title = pack_data["title"]
        try:
            pack.time_zone = ZoneInfo(pack_data.get("time_zone", DEFAULT_TIME_ZONE.key))
        except (ZoneInfoNotFoundError, ValueError):
            self._issue(PACK_FILE, "time_zone", f"unknown time zone {pack_data['time_zone']!r}")
        for name, items in pack_data["vocabulary"].items():
            pack.vocabulary[name] = {item["code"]: item["label"] for item in items}
        # Intake source codes are vocabulary too, so decisions can take `source` as a fact.
        pack.vocabulary.setdefault("intake_sources", {})
        for src in pack_data.get("intake_sources", []):
            pack.vocabulary["intake_sources"].setdefault(src["code"], src["label"])
        self._load_documents(docs["documents"])
        pack.procedures = pack_data.get("procedures", {})
        for code, proc in pack.procedures.items():
            for doc in proc["documents"]:
                if doc not in pack.documents:
                    self._issue(PACK_FILE, f"procedures/{code}", f"unknown document {doc!r}")
        self._load_sources(pack_data.get("intake_sources", []))
        self._load_numbering(pack_data.get("numbering", {}))
        for path in sorted((self.directory / DECISIONS_DIR).glob("*.yaml")):
            data = self._read(path, "decision")
            if data is not None:
                self._load_decision(data, path.relative_to(self.directory).as_posix())
        self._load_workflow(pack_data.get("workflow", {}))

    def _load_workflow(self, workflow: dict[str, Any]) -> None:
        pack = self.pack
        pack.route_per_target = bool(workflow.get("route_per_target", False))
        pack.workflow = {k: v for k, v in workflow.items() if k in WORKFLOW_OUTPUTS}
        for step, name in pack.workflow.items():
            decision = pack.decisions.get(name)
            if decision is None:
                self._issue(PACK_FILE, f"workflow/{step}", f"unknown decision {name!r}")
                continue
            for output, types in WORKFLOW_OUTPUTS[step].items():
                spec = decision.outputs.get(output)
                if spec is None or spec.type not in types:
                    self._issue(
                        decision.file,
                        f"outputs/{output}",
                        f"the {step} step reads output {output!r} of type {' or '.join(types)}",
                    )

    def _load_documents(self, documents: list[dict[str, Any]]) -> None:
        pack = self.pack
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
            if info.id in pack.documents:
                self._issue(DOCUMENTS_FILE, info.id, "document listed twice")
            pack.documents[info.id] = info
            if info.text_available and not doc.get("articles"):
                self._issue(DOCUMENTS_FILE, info.id, "a document with text needs an article index")
            if not info.text_available and doc.get("articles"):
                self._issue(DOCUMENTS_FILE, info.id, "text_available is false but articles are listed")
            for art in doc.get("articles", []):
                key = (info.id, art["id"])
                if key in pack.articles:
                    self._issue(DOCUMENTS_FILE, f"{info.id} {art['id']}", "article listed twice")
                citation = Citation(
                    document=info.id,
                    number=info.number,
                    article=art["id"],
                    heading=art["heading"],
                    summary=art["summary"],
                    source=doc.get("source"),
                    line=art.get("line"),
                )
                pack.articles[key] = citation
                pack.deciding[key] = art.get("deciding", True)
                info.articles.append(citation)
        # Repeal closes the repealed document's period on the day the new one takes force.
        for info in pack.documents.values():
            if info.repealed_by is None:
                continue
            repealer = pack.documents.get(info.repealed_by)
            if repealer is None:
                self._issue(DOCUMENTS_FILE, info.id, f"repealed_by unknown document {info.repealed_by!r}")
            elif repealer.in_force_from is None:
                self._issue(DOCUMENTS_FILE, repealer.id, "a repealing document needs in_force_from")
            else:
                info.in_force_until = repealer.in_force_from

    def _cite(self, text: str, file: str, where: str) -> Citation | None:
        """Resolve ``"<document> <article>"`` against the index; record an issue if absent."""
        doc_id, _, article = text.strip().partition(" ")
        article = article.strip()
        if doc_id not in self.pack.documents:
            self._issue(file, where, f"citation {text!r}: unknown document {doc_id!r}")
            return None
        citation = self.pack.articles.get((doc_id, article))
        if citation is None:
            self._issue(file, where, f"citation {text!r}: no article {article!r} in {doc_id}'s index")
            return None
        self.pack.cited.add((doc_id, article))
        return citation

    def _period_of(self, citations: Iterable[Citation], explicit: Mapping[str, Any] | None) -> Period:
        """Where every cited document is in force, narrowed by an explicit ``effective: {from, until}``."""
        period = Period()
        for c in citations:
            period = period.intersection(self.pack.documents[c.document].period)
        if explicit:
            period = period.intersection(Period.from_iso(explicit.get("from"), explicit.get("until")))
        return period

    def _vocab_key(self, vocab: str | list[str] | None, file: str, where: str) -> str | None:
        """Name of the vocabulary a value must come from; a list names their union."""
        if vocab is None:
            return None
        vocabulary = self.pack.vocabulary
        names = [vocab] if isinstance(vocab, str) else list(vocab)
        for name in names:
            if name not in vocabulary:
                self._issue(file, where, f"unknown vocabulary {name!r}")
        key = "|".join(names)
        if key not in vocabulary:
            merged: dict[str, str] = {}
            for name in names:
                merged.update(vocabulary.get(name, {}))
            vocabulary[key] = merged
        return key

    def _check_code(self, vocab: str, value: Any, file: str, where: str) -> None:
        known = self.pack.vocabulary.get(vocab)
        if known is None:
            self._issue(file, where, f"unknown vocabulary {vocab!r}")
        elif value not in known:
            self._issue(file, where, f"{value!r} is not in vocabulary {vocab!r}")

    def _load_sources(self, sources: list[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for i, src in enumerate(sources):
            where = f"intake_sources/{i}"
            citation = self._cite(src["cite"], PACK_FILE, where)
            procedure = src.get("procedure")
            if procedure is not None and procedure not in self.pack.procedures:
                self._issue(PACK_FILE, where, f"unknown procedure {procedure!r}")
            key = f"{procedure}:{src['code']}"
            if key in seen:
                self._issue(PACK_FILE, where, f"source code {src['code']!r} repeated")
            seen.add(key)
            if citation is not None:
                period = self._period_of([citation], src.get("effective"))
                self.pack.sources.append(SourceSpec(src["code"], src["label"], citation, procedure, period))

    def _load_numbering(self, numbering: dict[str, dict[str, Any]]) -> None:
        for kind, spec in numbering.items():
            where = f"numbering/{kind}"
            pattern = spec["pattern"]
            if "{seq" not in pattern or NUMBER_PLACEHOLDER.sub("", pattern).count("{"):
                self._issue(PACK_FILE, where, "pattern needs {seq} and only {year}/{seq}/{seq:0Nd}")
            citation = None
            if "cite" in spec:
                citation = self._cite(spec["cite"], PACK_FILE, where)
            elif spec.get("convention") != "platform":
                self._issue(PACK_FILE, where, "a numbering pattern cites its form or says convention: platform")
            period = self._period_of([citation] if citation else [], spec.get("effective"))
            self.pack.numbering[kind] = NumberingSpec(kind, pattern, spec.get("description", ""), citation, period)

    def _load_decision(self, data: dict[str, Any], file: str) -> None:
        name = data["decision"]
        if name in self.pack.decisions:
            self._issue(file, "decision", f"decision {name!r} defined twice")
        procedure = data.get("procedure")
        if procedure is not None and procedure not in self.pack.procedures:
            self._issue(file, "procedure", f"unknown procedure {procedure!r}")
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
            self._issue(file, n, "a name is either an input or an output, not both")
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
                        self._issue(file, rid, f"two versions of rule {rid!r} overlap: {a.period} and {b.period}")
        all_ids = set(rule_ids)
        for rule in decision.rules():
            if rule.exception_to is not None and rule.exception_to not in all_ids:
                self._issue(file, rule.id, f"exception_to unknown rule {rule.exception_to!r}")
        for table in decision.tables:
            table.rules = _exceptions_first(table.rules)
        _index_periods(decision)
        self.pack.decisions[name] = decision

    def _load_rule(
        self, decision: Decision, table: Table, rdata: dict[str, Any], known: set[str], where: str
    ) -> Rule | None:
        file = decision.file
        rid = rdata["id"]
        where = f"{where} ({rid})"
        try:
            condition = compile_condition(rdata.get("when"))
        except ConditionError as exc:
            self._issue(file, where, f"condition: {exc}")
            return None
        for name in condition.names:
            if name not in known:
                self._issue(
                    file,
                    where,
                    f"condition reads {name!r}, which is neither an input nor an output of an earlier table",
                )
        for fact, op, literal in condition.literals:
            spec = decision.inputs.get(fact)
            if spec is not None and spec.vocab and op not in ("is_set", "len_gte", "len_lte", "within"):
                for v in literal if isinstance(literal, list) else [literal]:
                    self._check_code(spec.vocab, v, file, where)
        citations = [c for text in rdata["cite"] if (c := self._cite(text, file, where)) is not None]
        then = dict(rdata.get("then", {}))
        for key, value in then.items():
            out = decision.outputs.get(key)
            if out is None:
                self._issue(file, where, f"sets {key!r}, which is not a declared output")
                continue
            self._check_value(out, value, file, f"{where}/then/{key}")
        period = self._period_of(citations, rdata.get("effective"))
        if period.is_empty:
            self._issue(file, where, f"effective period {period} is empty")
        for c in citations:
            if not self.pack.documents[c.document].text_available:
                self._issue(file, where, f"cites {c.document}, whose text is not loaded")
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
            self._issue(file, where, msg)

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
                        self._cite(s["cite"], file, where)
        elif t == "deadline":
            try:
                deadlines.parse(value)
            except (ValueError, TypeError, KeyError) as exc:
                bad(f"deadline: {exc}")


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
