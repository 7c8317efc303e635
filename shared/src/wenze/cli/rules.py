"""``wenze rules``: list packs, explain a decision, lint packs, run the packs' YAML cases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from wenze.cli.output import JsonOption, console, print_json
from wenze.rules import RulesError, get_pack, lint_pack, list_tenants

rules_app = typer.Typer(help="Tenant rule packs: documents, decisions, lint and cases.", no_args_is_help=True)


def _tenants(tenant: str | None) -> list[str]:
    known = list_tenants()
    if tenant is None:
        return known
    if tenant not in known:
        console().print(f"[red]no rule pack for tenant {tenant!r}; packs: {', '.join(known)}[/red]")
        raise typer.Exit(2)
    return [tenant]


@rules_app.command("list")
def list_packs(
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    articles: Annotated[bool, typer.Option(help="also list each document's article index")] = False,
    as_json: JsonOption = False,
) -> None:
    """Tenants, their documents with periods, and their decisions."""
    if as_json:
        print_json([_pack_summary(t, with_articles=articles) for t in _tenants(tenant)])
        return
    for t in _tenants(tenant):
        pack = get_pack(t)
        console().rule(f"[bold]{t}[/bold] — {pack.title}")
        docs = Table("document", "title", "in force", "text", show_lines=False)
        for d in pack.documents:
            docs.add_row(d.id, d.title, d.period_text(), "yes" if d.text_available else "[red]not loaded[/red]")
        console().print(docs)
        if articles:
            for d in pack.documents:
                table = Table("article", "heading", "summary", "line", title=d.id)
                for a in d.articles:
                    table.add_row(a.article, a.heading, a.summary, str(a.line or ""))
                console().print(table)
        decisions = Table("decision", "description")
        for info in pack.decisions():
            decisions.add_row(info.name, info.description.strip())
        if pack.decisions():
            console().print(decisions)
        console().print(f"numbering: {', '.join(pack.number_kinds())}")


def _pack_summary(tenant: str, *, with_articles: bool) -> dict[str, Any]:
    pack = get_pack(tenant)
    documents = []
    for d in pack.documents:
        document: dict[str, Any] = {
            "id": d.id,
            "title": d.title,
            "in_force_from": d.in_force_from,
            "in_force_until": d.in_force_until,
            "text_available": d.text_available,
        }
        if with_articles:
            document["articles"] = [
                {"article": a.article, "heading": a.heading, "summary": a.summary, "line": a.line} for a in d.articles
            ]
        documents.append(document)
    return {
        "tenant": tenant,
        "title": pack.title,
        "documents": documents,
        "decisions": [{"name": info.name, "description": info.description.strip()} for info in pack.decisions()],
        "numbering": pack.number_kinds(),
    }


def _load_facts(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        console().print(f"[red]cannot read facts from {path}: {exc}[/red]")
        raise typer.Exit(2) from exc
    if not isinstance(data, dict):
        console().print("[red]facts must be a JSON object[/red]")
        raise typer.Exit(2)
    return data


@rules_app.command()
def explain(
    facts_file: Annotated[Path, typer.Argument(help="JSON object with the matter's facts")],
    tenant: Annotated[str, typer.Option(help="tenant whose pack decides")],
    decision: Annotated[str, typer.Option(help="decision name, see `wenze rules list`")],
    on: Annotated[str | None, typer.Option(help="relevant date (ISO); default today")] = None,
    reading: Annotated[
        list[str] | None,
        typer.Option(help="POINT=READING: read an interpretation point so rather than by the pack's default"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the evaluation as JSON")] = False,
) -> None:
    """Evaluate one decision and show the outcome with the rules, facts and articles behind it."""
    _tenants(tenant)
    facts = _load_facts(facts_file)
    day = date.fromisoformat(on) if on else date.today()
    readings = _readings(reading or [])
    try:
        evaluation = get_pack(tenant).evaluate(decision, facts, day, readings=readings)
    except RulesError as exc:
        if as_json:
            typer.echo(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            console().print(f"[red]{exc.code}[/red]: {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(evaluation.model_dump_json(indent=2))
        return
    console().print(f"[bold]{tenant} / {decision}[/bold] on {day} (documents: {', '.join(evaluation.documents)})")
    outcome = Table(title="outcome")
    outcome.add_column("output", overflow="fold")
    outcome.add_column("value", overflow="fold")
    for key, value in evaluation.outcome.items():
        outcome.add_row(key, json.dumps(value, ensure_ascii=False))
    console().print(outcome)
    # Folding rather than ellipsis: rule ids and citations must stay whole to be looked up.
    trace = Table(title="explanation")
    for header in ("table", "rule", "facts used", "citations"):
        trace.add_column(header, overflow="fold")
    for fired in evaluation.explanation:
        trace.add_row(
            fired.table,
            f"{fired.rule}\n[dim]{fired.description.strip()}[/dim]",
            json.dumps(fired.facts, ensure_ascii=False, default=str),
            "\n".join(c.text for c in fired.citations),
        )
    console().print(trace)
    for applied in evaluation.interpretations:
        how = "the pack's default" if applied.default else "chosen"
        console().print(
            f"interpretation point [bold]{escape(applied.point)}[/bold]: reading "
            f"[bold]{escape(applied.reading)}[/bold] ({escape(applied.label)}, {how}) — "
            f"{escape(', '.join(c.text for c in applied.citations))}",
            soft_wrap=True,
        )


def _readings(given: list[str]) -> dict[str, str]:
    readings = {}
    for item in given:
        point, sep, reading = item.partition("=")
        if not sep or not point or not reading:
            console().print(f"[red]--reading {item!r}: write POINT=READING[/red]")
            raise typer.Exit(2)
        readings[point.strip()] = reading.strip()
    return readings


@rules_app.command()
def points(
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every interpretation point per tenant: the question, the articles, the readings, the
    default and the decisions that depend on it."""
    found = {t: get_pack(t).points for t in _tenants(tenant)}
    if as_json:
        print_json({t: [p.model_dump(mode="json") for p in listed] for t, listed in found.items()})
        return
    for t, listed in found.items():
        console().rule(f"[bold]{t}[/bold] — {len(listed)} interpretation points")
        # One block per point: questions and reasons are prose, which table cells would fold
        # into unreadable columns.
        for point in listed:
            console().print(f"\n[bold]{escape(point.id)}[/bold] (last reviewed {point.last_reviewed.isoformat()})")
            console().print(f"  {escape(' '.join(point.question.split()))}", soft_wrap=True)
            for a in point.articles:
                console().print(
                    f"  article: {escape(a.citation.text)}" + (f" (lines {a.lines})" if a.lines else ""), soft_wrap=True
                )
            for r in point.readings:
                mark = "*" if r.id == point.default else "-"
                values = f" {json.dumps(r.parameters, ensure_ascii=False)}" if r.parameters else ""
                console().print(f"  {mark} {escape(r.id)}: {escape(r.label)}{escape(values)}", soft_wrap=True)
            console().print(f"  default: {escape(' '.join(point.default_reason.split()))}", soft_wrap=True)
            affects = ", ".join(point.affects) or f"no decision yet — {' '.join(point.note.split())}"
            console().print(f"  affects: {escape(affects)}", soft_wrap=True)
        console().print("\n* the pack's default reading")


@rules_app.command()
def lint(
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check packs against the schema, the article index, periods and vocabularies."""
    found = {t: [str(issue) for issue in lint_pack(t)] for t in _tenants(tenant)}
    total = sum(len(issues) for issues in found.values())
    if as_json:
        print_json({"issues": found, "total": total})
        if total:
            raise typer.Exit(1)
        return
    for t, issues in found.items():
        if not issues:
            console().print(f"[green]✓[/green] {t}")
        for issue in issues:
            # Messages quote pack text and parser output, which may hold square brackets that
            # rich would otherwise take for markup; one issue per line keeps the output greppable.
            console().print(f"[red]✗[/red] {escape(issue)}", soft_wrap=True)
    if total:
        raise typer.Exit(1)


@rules_app.command("test")
def run_tests(
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="list every case")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the YAML cases that ship with the packs."""
    from wenze.rules.cases import load_cases, run_case

    failed = passed = 0
    failures: list[dict[str, Any]] = []
    for t in _tenants(tenant):
        for case in load_cases(t):
            result = run_case(case)
            if result.ok:
                passed += 1
                if verbose and not as_json:
                    console().print(f"[green]✓[/green] {case.id}")
            else:
                failed += 1
                failures.append({"tenant": t, "case": case.id, "failures": [str(f) for f in result.failures]})
                if not as_json:
                    console().print(f"[red]✗[/red] {case.id}")
                    for failure in result.failures:
                        console().print(f"    {failure}")
    if as_json:
        print_json({"passed": passed, "failed": failed, "failures": failures})
    else:
        console().print(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)
