"""Words for what sanction-execution names itself (states, lights, what a bar bars), shared by
the CLI and the staff console; what a tenant names (measures, offices…) comes from its pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wenze.rules.errors import RulesError
from wenze.rules.pack import RulePack

# An open execution is under way, not a task.
EXECUTION_STATES = {
    "open": "执行中",
    "suspended": "中止执行",
    "carried_out": "执行完毕",
    "revoked": "已撤销",
}
STEP_STATES = {"pending": "待办", "done": "已完成"}
DEADLINE_STATES = {
    "pending": "未到期",
    "reminded": "临近期限",
    "missed": "已逾期",
    "met": "已办结",
    "suspended": "中止计算",
    "cancelled": "已取消",
}
LIGHTS = {"green": "正常", "yellow": "临期", "red": "逾期"}
# What an after-effect period bars, and whether an appeal lifted it.
PURPOSES = {"promotion": "不得提拔", "appointment": "不得担任相当职务", "honours": "不得评优评先"}
EFFECT_STATES = {"active": "有效", "lifted": "已解除"}


def readings_shown(pack: RulePack, applied: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The interpretation points an outcome depended on, as a service stored them, in the pack's
    words: the point's question and the reading's label as the pack gives them now (a point or
    reading the pack no longer has keeps the words stored with the outcome), never their codes;
    with the articles the point concerns."""
    shown = []
    for entry in applied or []:
        question, label = entry.get("question", ""), entry.get("label", "")
        try:
            point = pack.point(entry["point"])
        except RulesError:
            point = None
        if point is not None:
            question = point.question
            reading = point.reading(entry["reading"])
            label = reading.label if reading is not None else label
        shown.append(
            {
                "point": entry["point"],
                "reading": entry["reading"],
                "question": " ".join(str(question).split()),
                "label": label,
                "default": bool(entry.get("default")),
                "citations": [
                    f"{c['document']} {c['article']}" if isinstance(c, Mapping) else str(c)
                    for c in entry.get("citations") or []
                ],
            }
        )
    return shown
