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
    NOTICE_ROLES,
    NUMBER_PLACEHOLDER,
    SELECTION_OUTPUT,
    WORKFLOW_OPTIONAL_OUTPUTS,
    WORKFLOW_OUTPUTS,
    CompiledPack,
    CountedTrigger,
    Decision,
    InputSpec,
    NoticeSpec,
    NumberingSpec,
    OutputSpec,
    Rule,
    SourceSpec,
    Table,
    TablePlan,
    Workflow,
)
from wenze.rules.conditions import ConditionError, compile_condition
from wenze.rules.errors import RulesError
from wenze.rules.evaluation import evaluate_decision
from wenze.rules.models import Citation, DocumentInfo, InterpretationPoint, LintIssue, PointArticle, Reading
from wenze.rules.period import WINDOW_KINDS, Period, as_date
from wenze.rules.yamlio import load_yaml, yaml_error_location

SCHEMA_DIR = Path(__file__).with_name("schema")
# A notice's Jinja2 template (subject and body blocks), per pack: <pack>/notices/<notice>.j2.
NOTICES_DIR = "notices"
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
        self._load_points(pack_data.get("interpretation_points", []))
        for path in sorted((self.directory / DECISIONS_DIR).glob("*.yaml")):
            data = self._read(path, "decision")
            if data is not None:
                self._load_decision(data, path.relative_to(self.directory).as_posix())
        self._check_point_dependants(pack_data.get("interpretation_points", []))
        self._load_workflows(pack_data.get("workflows", {}))
        self._load_procedure_selection(pack_data.get("procedure_selection"))
        self._load_notices(pack_data.get("notices", []))
        self._load_counted_triggers(pack_data.get("counted_triggers", []))

    def _load_points(self, points: list[dict[str, Any]]) -> None:
        """Each point's articles resolve, its readings set the same parameters, its default is
        one of them, and no parameter is set by two points (a decision could not tell whose
        reading it follows)."""
        pack = self.pack
        for i, data in enumerate(points):
            where = f"interpretation_points/{i} ({data['id']})"
            if data["id"] in pack.points:
                self._issue(PACK_FILE, where, f"interpretation point {data['id']!r} defined twice")
                continue
            # A point quotes articles to show where the text is open, not to apply them: what it
            # cites does not count as a rule citing the article.
            cited_before = set(pack.cited)
            articles = [
                PointArticle(citation=c, lines=a.get("lines", ""))
                for a in data["articles"]
                if (c := self._cite(a["cite"], PACK_FILE, where)) is not None
            ]
            pack.cited = cited_before
            readings = [
                Reading(id=r["id"], label=r["label"], parameters=dict(r.get("parameters", {})), reason=r["reason"])
                for r in data["readings"]
            ]
            ids = [r.id for r in readings]
            for rid in sorted({r for r in ids if ids.count(r) > 1}):
                self._issue(PACK_FILE, where, f"reading {rid!r} defined twice")
            if data["default"]["reading"] not in ids:
                self._issue(
                    PACK_FILE, f"{where}/default", f"default reading {data['default']['reading']!r} is not one of {ids}"
                )
            names = set(readings[0].parameters)
            for r in readings[1:]:
                if set(r.parameters) != names:
                    self._issue(
                        PACK_FILE,
                        f"{where}/readings/{r.id}",
                        f"sets parameters {sorted(r.parameters)}; every reading of the point sets {sorted(names)}",
                    )
            for name in sorted(names):
                owner = pack.parameters.setdefault(name, data["id"])
                if owner != data["id"]:
                    self._issue(
                        PACK_FILE, where, f"parameter {name!r} is already set by interpretation point {owner!r}"
                    )
            if not data["affects"] and not data.get("note", "").strip():
                self._issue(PACK_FILE, where, "affects no decision: say in `note` why the point is listed all the same")
            pack.points[data["id"]] = InterpretationPoint(
                id=data["id"],
                question=data["question"],
                articles=articles,
                readings=readings,
                default=data["default"]["reading"],
                default_reason=data["default"]["reason"],
                last_reviewed=date.fromisoformat(data["last_reviewed"]),
                affects=list(data["affects"]),
                note=data.get("note", ""),
            )

    def _check_point_dependants(self, points: list[dict[str, Any]]) -> None:
        """A point's ``affects`` are exactly the decisions that name it, so a reader of the
        point sees every outcome its reading changes."""
        pack = self.pack
        naming: dict[str, set[str]] = {}
        for decision in pack.decisions.values():
            for point_id in decision.points:
                naming.setdefault(point_id, set()).add(decision.name)
        for i, data in enumerate(points):
            point = pack.points.get(data["id"])
            if point is None:
                continue
            where = f"interpretation_points/{i} ({point.id})/affects"
            listed = set(point.affects)
            for name in sorted(listed - set(pack.decisions)):
                self._issue(PACK_FILE, where, f"unknown decision {name!r}")
            for name in sorted((listed & set(pack.decisions)) - naming.get(point.id, set())):
                self._issue(
                    PACK_FILE, where, f"lists {name!r}, which does not name the point (points: in the decision)"
                )
            for name in sorted(naming.get(point.id, set()) - listed):
                self._issue(PACK_FILE, where, f"{name!r} names the point but is not listed here")

    def _load_notices(self, notices: list[dict[str, Any]]) -> None:
        parties = {code for vocab in ("offices", "bodies") for code in self.pack.vocabulary.get(vocab, {})}
        for i, spec in enumerate(notices):
            where = f"notices/{i}"
            for recipient in spec["to"]:
                if recipient not in NOTICE_ROLES and recipient not in parties:
                    self._issue(
                        PACK_FILE, where, f"recipient {recipient!r} is neither a notice role nor an office or body"
                    )
            measure_in = spec.get("when", {}).get("measure_in")
            if measure_in is not None and measure_in not in self.pack.vocabulary:
                self._issue(PACK_FILE, where, f"unknown vocabulary {measure_in!r}")
            if not (self.directory / NOTICES_DIR / f"{spec['notice']}.j2").is_file():
                self._issue(PACK_FILE, where, f"no template {NOTICES_DIR}/{spec['notice']}.j2 for the notice")
            citation = self._cite(spec["cite"], PACK_FILE, where)
            if citation is None:
                continue
            self.pack.notices.append(
                NoticeSpec(
                    event=spec["event"],
                    notice=spec["notice"],
                    to=tuple(spec["to"]),
                    citation=citation,
                    period=self._period_of([citation], None),
                    measure_in=spec.get("when", {}).get("measure_in"),
                    description=spec.get("description", ""),
                )
            )

    def _load_counted_triggers(self, bindings: list[dict[str, Any]]) -> None:
        """Each binding's decision must take the facts it names and answer the outputs it reads,
        and the matter it opens must come from one of the pack's intake sources."""
        pack = self.pack
        sources = {s.code for s in pack.sources}
        for i, data in enumerate(bindings):
            where = f"counted_triggers/{i}"
            decision = pack.decisions.get(data["decision"])
            if decision is None:
                self._issue(PACK_FILE, f"{where}/decision", f"unknown decision {data['decision']!r}")
                continue
            wanted_inputs = {
                "window_start_fact": "date",
                "sanctions_fact": "records",
                "major_cases_fact": "records",
            }
            for key, kind in wanted_inputs.items():
                name = data.get(key)
                spec = decision.inputs.get(name) if name else None
                if name and (spec is None or spec.type != kind):
                    self._issue(PACK_FILE, f"{where}/{key}", f"{decision.name} has no {kind} input {name!r}")
            if not data.get("sanctions_fact") and not data.get("major_cases_fact"):
                self._issue(PACK_FILE, where, "name the records counted: sanctions_fact, major_cases_fact or both")
            for key, kind in (("fires_when", "bool"), ("triggers_output", "codes")):
                spec_out = decision.outputs.get(data[key])
                if spec_out is None or spec_out.type != kind:
                    self._issue(PACK_FILE, f"{where}/{key}", f"{decision.name} has no {kind} output {data[key]!r}")
            window = data["window"]
            window_parameter = window.get("parameter") if isinstance(window, dict) else None
            if window_parameter is not None:
                self._check_window_parameter(decision, window_parameter, f"{where}/window")
            opens = data["opens"]
            if opens["source"] not in sources:
                self._issue(PACK_FILE, f"{where}/opens/source", f"unknown intake source {opens['source']!r}")
            for t, target in enumerate(opens["targets"]):
                for field_name, vocab in (("sector", "sectors"), ("org_level", "organisation_levels")):
                    if field_name in target:
                        self._check_code(
                            vocab, target[field_name], PACK_FILE, f"{where}/opens/targets/{t}/{field_name}"
                        )
            pack.counted_triggers.append(
                CountedTrigger(
                    decision=decision.name,
                    window=None if window_parameter is not None else window,
                    window_start_fact=data["window_start_fact"],
                    sanctions_fact=data.get("sanctions_fact"),
                    major_cases_fact=data.get("major_cases_fact"),
                    fires_when=data["fires_when"],
                    triggers_output=data["triggers_output"],
                    source=opens["source"],
                    summary=opens["summary"],
                    targets=tuple(dict(t) for t in opens["targets"]),
                    window_parameter=window_parameter,
                )
            )

    def _check_window_parameter(self, decision: Decision, parameter: str, where: str) -> None:
        """A window taken from a point: the parameter exists, every reading gives a window the
        platform can count in, and the bound decision names the point (its outcome depends on it)."""
        owner = self.pack.parameters.get(parameter)
        if owner is None:
            self._issue(PACK_FILE, where, f"no interpretation point sets parameter {parameter!r}")
            return
        for reading in self.pack.points[owner].readings:
            if reading.parameters.get(parameter) not in WINDOW_KINDS:
                self._issue(
                    PACK_FILE,
                    where,
                    f"reading {reading.id!r} of {owner!r} sets {parameter!r} to "
                    f"{reading.parameters.get(parameter)!r}, not one of {list(WINDOW_KINDS)}",
                )
        if owner not in decision.points:
            self._issue(
                PACK_FILE,
                where,
                f"the window reads parameter {parameter!r} of interpretation point {owner!r}, "
                f"which {decision.name} does not name (points: [{owner}])",
            )

    def _load_workflows(self, workflows: dict[str, dict[str, Any]]) -> None:
        pack = self.pack
        for procedure, workflow in workflows.items():
            where = f"workflows/{procedure}"
            if procedure not in pack.procedures:
                self._issue(PACK_FILE, where, f"unknown procedure {procedure!r}")
            steps = {k: v for k, v in workflow.items() if k in WORKFLOW_OUTPUTS}
            pack.workflows[procedure] = Workflow(procedure, steps, bool(workflow.get("route_per_target", False)))
            for step, name in steps.items():
                decision = pack.decisions.get(name)
                if decision is None:
                    self._issue(PACK_FILE, f"{where}/{step}", f"unknown decision {name!r}")
                    continue
                # A decision written for one procedure answering another's step mixes documents.
                if decision.procedure is not None and decision.procedure != procedure:
                    self._issue(
                        PACK_FILE,
                        f"{where}/{step}",
                        f"decision {name!r} belongs to procedure {decision.procedure!r}",
                    )
                for output, types in WORKFLOW_OUTPUTS[step].items():
                    spec = decision.outputs.get(output)
                    if spec is None or spec.type not in types:
                        self._issue(
                            decision.file,
                            f"outputs/{output}",
                            f"the {step} step reads output {output!r} of type {' or '.join(types)}",
                        )
                for output, types in WORKFLOW_OPTIONAL_OUTPUTS.get(step, {}).items():
                    spec = decision.outputs.get(output)
                    if spec is not None and spec.type not in types:
                        self._issue(
                            decision.file,
                            f"outputs/{output}",
                            f"the {step} step reads output {output!r} as {' or '.join(types)}",
                        )

    def _load_procedure_selection(self, name: str | None) -> None:
        """Check that every intake source leads to a bound workflow and every workflow is
        reached: through the selecting decision where the pack names one, else through the
        source's own ``procedure`` (a pack with one workflow needs neither)."""
        pack = self.pack
        if name is not None:
            decision = pack.decisions.get(name)
            if decision is None:
                self._issue(PACK_FILE, "procedure_selection", f"unknown decision {name!r}")
                return
            spec = decision.outputs.get(SELECTION_OUTPUT)
            if spec is None or spec.type != "code" or spec.vocab != "procedures":
                self._issue(
                    decision.file,
                    f"outputs/{SELECTION_OUTPUT}",
                    f"a procedure selection outputs {SELECTION_OUTPUT!r}, a code of vocabulary 'procedures'",
                )
                return
            pack.procedure_selection = name
        if not pack.workflows:
            return
        reached: set[str] = set()
        for i, source in enumerate(pack.sources):
            where = f"intake_sources/{i}"
            if pack.procedure_selection is not None:
                procedure, problem = self._selected_for(source)
            elif source.procedure is not None:
                procedure, problem = source.procedure, None
            elif len(pack.workflows) == 1:
                procedure, problem = next(iter(pack.workflows)), None
            else:
                procedure, problem = None, "names no procedure, and the pack binds several workflows"
            if problem is not None:
                self._issue(PACK_FILE, where, f"source {source.code!r} {problem}")
            elif procedure not in pack.workflows:
                self._issue(PACK_FILE, where, f"source {source.code!r} leads to {procedure!r}, which binds no workflow")
            else:
                reached.add(procedure)
        for procedure in pack.workflows:
            if procedure not in reached:
                self._issue(PACK_FILE, f"workflows/{procedure}", "no intake source leads to this procedure")

    def _selected_for(self, source: SourceSpec) -> tuple[str | None, str | None]:
        """The procedure the selecting decision gives a matter from ``source`` alone, on the
        first day the source is open: other facts may refine the choice, never be needed for it."""
        assert self.pack.procedure_selection is not None
        decision = self.pack.decisions[self.pack.procedure_selection]
        on = source.period.start or date.today()
        try:
            outcome = evaluate_decision(self.pack, decision, {"source": source.code}, on, None).outcome
        except RulesError as exc:
            return None, f"gets no procedure from {decision.name!r}: {exc}"
        procedure = outcome.get(SELECTION_OUTPUT)
        if procedure is None:
            return None, f"gets no procedure from {decision.name!r}"
        return str(procedure), None

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
        elif not isinstance(value, str):
            # A step or mapping where a code belongs (e.g. an output retyped): reported, not a crash.
            self._issue(file, where, f"expects a code of {vocab!r}, not {type(value).__name__}")
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
        points = tuple(data.get("points", []))
        for point in points:
            if point not in self.pack.points:
                self._issue(file, "points", f"unknown interpretation point {point!r}")
        for n in sorted(set(inputs) & set(self.pack.parameters)):
            self._issue(
                file,
                f"inputs/{n}",
                f"{n!r} is a parameter of interpretation point {self.pack.parameters[n]!r}: "
                "its value comes from the reading in force, not from the facts",
            )
        decision = Decision(name, data["description"], procedure, file, inputs, outputs, [], points=points)
        # The parameters of the points the decision names are facts its conditions may read.
        known_names = set(inputs) | {n for n, owner in self.pack.parameters.items() if owner in points}
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
            owner = self.pack.parameters.get(name)
            if name not in known and owner is not None:
                self._issue(
                    file,
                    where,
                    f"condition reads parameter {name!r} of interpretation point {owner!r}, "
                    f"which the decision does not name (points: [{owner}])",
                )
            elif name not in known:
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
            documents=dict.fromkeys(c.document for c in citations),
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
                    # A step that issues a numbered document names the pack's numbering kind.
                    if "number" in s and s["number"] not in self.pack.numbering:
                        self._issue(file, where, f"step {s['step']!r}: no numbering kind {s['number']!r}")
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
        [_plan(decision, t, [r for r in t.rules if r.period.contains(rep)]) for t in decision.tables]
        for rep in representatives
    ]


def _plan(decision: Decision, table: Table, rules: list[Rule]) -> TablePlan:
    outputs = decision.outputs
    return TablePlan(
        table=table,
        first_hit=table.hit == "first",
        required=table.required,
        has_exceptions=any(r.exception_to is not None for r in rules),
        rules=tuple(
            (
                r.condition.test,
                r,
                # A `then` naming an undeclared output was reported as a lint issue; it sets nothing.
                tuple(
                    (key, outputs[key], raw, outputs[key].type == "deadline")
                    for key, raw in r.then.items()
                    if key in outputs
                ),
            )
            for r in rules
        ),
    )
