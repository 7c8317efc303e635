"""What sanction-execution did after a matter's decision, for ``wenze show``: each execution
with its steps, its deadlines and their lights, the after-effect periods its decision set, and
every interpretation point an outcome rests on with the reading applied (ADR 0043), in the
pack's Chinese.

Executions are a part of the matter among others: when sanction-execution cannot be read, the
matter is still shown, with one line saying why its executions are not."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import RenderableType
from rich.text import Text
from rich.tree import Tree

from wenze.cli import auth
from wenze.cli.auth import AuthError
from wenze.cli.client import ApiError, ExecutionClient
from wenze.cli.labels import (
    DEADLINE_STATES,
    EFFECT_STATES,
    EXECUTION_STATES,
    LIGHTS,
    PURPOSES,
    STEP_STATES,
    readings_shown,
)
from wenze.rules import RulePack, RulesError, get_pack

ExecutionUrlOption = Annotated[
    str,
    typer.Option(
        "--execution-url",
        envvar="WENZE_EXECUTION_URL",
        help='sanction-execution\'s base URL [env WENZE_EXECUTION_URL]; "" leaves executions out',
    ),
]

_LIGHT_STYLE = {"green": "green", "yellow": "yellow", "red": "bold red"}
_EXECUTION_STYLE = {"open": "yellow", "suspended": "magenta", "carried_out": "green", "revoked": "dim"}


class Unavailable(Exception):
    """Why a matter's executions could not be read, in a few words."""


def open_execution_client(url: str) -> ExecutionClient:
    # A shorter wait than intake's: the matter is shown either way, and a line says why not its executions.
    return ExecutionClient(url, auth.access_token(), timeout=20.0)


def read_executions(url: str, matter_id: str) -> list[dict[str, Any]]:
    """The matter's executions the caller may read; ``Unavailable`` when sanction-execution is
    not configured, cannot be reached or refuses."""
    if not url.strip():
        raise Unavailable("no sanction-execution URL given (--execution-url, WENZE_EXECUTION_URL)")
    try:
        with open_execution_client(url) as client:
            found = client.executions(matter_id=matter_id)
    except (ApiError, AuthError) as exc:
        raise Unavailable(str(exc)) from exc
    if not isinstance(found, list):
        raise Unavailable(f"{url} answered with JSON that is not a list")
    return found


def _pack(tenant: str | None) -> RulePack | None:
    try:
        return get_pack(tenant) if tenant else None
    except RulesError:
        return None


def _word(pack: RulePack | None, vocabularies: tuple[str, ...], code: Any) -> str:
    """The pack's label for ``code`` in the first of ``vocabularies`` that knows it, else the code."""
    if pack is not None:
        for vocabulary in vocabularies:
            label = pack.vocabulary.get(vocabulary, {}).get(str(code))
            if label:
                return str(label)
    return str(code)


def _office(pack: RulePack | None, code: Any) -> str:
    return _word(pack, ("offices", "bodies"), code)


def _who(target: dict[str, Any]) -> str:
    details = " ".join(str(target[k]) for k in ("unit", "post") if target.get(k))
    return f"{target.get('name') or '?'}（{details}）" if details else str(target.get("name") or "?")


def _cited(citations: list[str]) -> Text:
    return Text.assemble(("依据 ", "dim"), "；".join(citations))


def _add_readings(node: Tree, pack: RulePack | None, applied: list[dict[str, Any]]) -> None:
    """Each interpretation point the outcome rests on: its id, the reading applied in the pack's
    words and whose choice it is, the point's question and the articles it concerns."""
    shown = readings_shown(pack, applied) if pack is not None else _as_stored(applied)
    for reading in shown:
        whose = "规则包默认解读" if reading["default"] else "本委选定的解读"
        # The id on a line of its own: a long unbroken run after it would push it off its label.
        branch = node.add(Text.assemble(("解释要点 ", "bold cyan"), (reading["point"], "cyan")))
        if reading["question"]:
            branch.add(Text(reading["question"], style="dim"))
        branch.add(Text(f"按“{reading['label']}”（{whose}）"))
        if reading["citations"]:
            branch.add(_cited(reading["citations"]))


def _as_stored(applied: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "point": a["point"],
            "label": a.get("label") or a["reading"],
            "default": bool(a.get("default")),
            "question": " ".join(str(a.get("question", "")).split()),
            "citations": [f"{c['document']} {c['article']}" for c in a.get("citations") or [] if isinstance(c, dict)],
        }
        for a in applied
    ]


def _step(pack: RulePack | None, step: dict[str, Any]) -> Text:
    done = step["state"] == "done"
    text = Text(f"{step['position']}、")
    text.append(step["action"])
    offices = [o for o in (step.get("actor"), *step.get("joined_by", [])) if o]
    if offices:
        text.append(f"（{'、'.join(_office(pack, o) for o in offices)}）", style="dim")
    text.append(" · ")
    text.append(STEP_STATES.get(step["state"], step["state"]), style="green" if done else "yellow")
    if done and step.get("completed_on"):
        text.append(f" {step['completed_on']}")
    if step.get("document_number"):
        text.append(f" {step['document_number']}")
    return text


def _deadline(deadline: dict[str, Any]) -> Text:
    text = Text(f"{deadline['label']}：{deadline['due_on']} 前 · ")
    text.append(DEADLINE_STATES.get(deadline["state"], deadline["state"]))
    light = deadline.get("light")
    if light:
        days = deadline.get("days_left")
        left = "" if days is None else f"，还有 {days} 天" if days >= 0 else f"，已逾期 {-days} 天"
        text.append(" · ")
        text.append(f"●{LIGHTS.get(light, light)}{left}", style=_LIGHT_STYLE.get(light, ""))
    if deadline.get("met_on"):
        text.append(f"（{deadline['met_on']} 办结）")
    return text


def _after_effect(effect: dict[str, Any]) -> Text:
    text = Text(PURPOSES.get(effect["purpose"], effect["purpose"]), style="bold")
    if effect.get("until"):
        text.append(f"，{effect['until']} 起解除")
    elif effect.get("period_set_by"):
        text.append(f"，期限按{effect['period_set_by']}")
    if effect.get("state") != "active":
        text.append(f"（{EFFECT_STATES.get(effect['state'], effect['state'])}）", style="dim")
    return text


def executions_view(tenant: str | None, executions: list[dict[str, Any]]) -> RenderableType:
    """The executions as a tree, in the tenant's pack's words."""
    if not executions:
        return Text("executions (执行): none yet (no decision, or sanction-execution has not taken it up)", style="dim")
    pack = _pack(tenant)
    tree = Tree(Text("executions (执行)", style="bold"), guide_style="dim")
    # The person's executions of one decision share its after-effect periods: shown once, after the last.
    last_of = {(ex["decision_id"], ex["person_id"]): ex["id"] for ex in executions}
    for ex in executions:
        measure = _word(pack, ("measures", "organisational_measures"), ex["measure"])
        state = EXECUTION_STATES.get(ex["state"], ex["state"])
        node = tree.add(
            Text.assemble(
                (_who(ex.get("target") or {}), "bold"),
                " · ",
                (measure, "bold"),
                " · ",
                (state, _EXECUTION_STYLE.get(ex["state"], "")),
            )
        )
        node.add(Text(f"决定 {ex['decision_number']}（{ex['decided_on']}），由{_office(pack, ex['office'])}执行"))
        if ex.get("citations"):
            node.add(_cited(ex["citations"]))
        _add_readings(node, pack, ex.get("interpretations") or [])
        if ex.get("steps"):
            steps = node.add(Text("步骤", style="bold"))
            for step in sorted(ex["steps"], key=lambda s: s["position"]):
                steps.add(_step(pack, step))
        if ex.get("deadlines"):
            deadlines = node.add(Text("期限", style="bold"))
            for deadline in ex["deadlines"]:
                branch = deadlines.add(_deadline(deadline))
                if deadline.get("citations"):
                    branch.add(_cited(deadline["citations"]))
                _add_readings(branch, pack, deadline.get("interpretations") or [])
        effects = ex.get("after_effects") or []
        if effects and last_of[(ex["decision_id"], ex["person_id"])] == ex["id"]:
            periods = node.add(Text("影响期", style="bold"))
            for effect in effects:
                branch = periods.add(_after_effect(effect))
                if effect.get("description"):
                    branch.add(Text(effect["description"], style="dim"))
                if effect.get("citations"):
                    branch.add(_cited(effect["citations"]))
                _add_readings(branch, pack, effect.get("interpretations") or [])
    return tree
