"""Review's work queue as its clients see it: which task kinds each step completes, the request
a task stands for, and finding the caller's task by whatever reference a user has at hand. The
command line (``wenze sign``…) and the staff console both act through these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wenze.cli.client import IntakeClient, ProblemError, ReviewClient


@dataclass(frozen=True)
class Step:
    """Which task kinds a step completes, and the request each of them stands for."""

    name: str
    kinds: tuple[str, ...]
    label: str

    def path(self, task: Mapping[str, Any]) -> str:
        kind, subject, case = task["kind"], task["subject_id"], task["case_id"]
        if kind.startswith("consultation_"):
            return f"/v1/consultations/{subject}/{_DELIBERATION_ACTIONS[kind.removeprefix('consultation_')]}"
        if kind.startswith("joint_review_"):
            return f"/v1/joint-reviews/{subject}/{_DELIBERATION_ACTIONS[kind.removeprefix('joint_review_')]}"
        if kind == "investigation":
            return f"/v1/investigations/{subject}/findings"
        return f"/v1/cases/{case}/{_CASE_ACTIONS[kind]}"


_DELIBERATION_ACTIONS = {"signature": "signatures", "approval": "approvals"}
_CASE_ACTIONS = {
    "start_approval": "approvals",
    "decision_approval": "approvals",
    "recommendation": "recommendations",
    "hearing": "hearings",
    "decision": "decision",
}

SIGN = Step("sign", ("consultation_signature", "joint_review_signature"), "signature")
APPROVE = Step(
    "approve", ("consultation_approval", "joint_review_approval", "start_approval", "decision_approval"), "approval"
)
FINDINGS = Step("findings", ("investigation",), "investigation")
RECOMMEND = Step("recommend", ("recommendation",), "recommendation")
HEAR = Step("hear", ("hearing",), "hearing")
DECIDE = Step("decide", ("decision",), "decision")
STEPS = (SIGN, APPROVE, FINDINGS, RECOMMEND, HEAR, DECIDE)


def step_of(kind: str) -> Step | None:
    """The step that completes a task of ``kind``; ``None`` for a kind no step completes."""
    return next((step for step in STEPS if kind in step.kinds), None)


def request_body(task: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The body a task's request takes: what the user gave, plus what the task itself fixes
    (the approval's stage, the target a recommendation or hearing concerns)."""
    full = dict(body)
    if task["kind"] in ("start_approval", "decision_approval"):
        full = {"stage": task["kind"].removesuffix("_approval"), **full}
    if task["kind"] in ("recommendation", "hearing"):
        full = {"target_index": task["target_index"], **full}
    return full


def matching_tasks(
    review: ReviewClient, intake: IntakeClient, reference: str, step: Step, target: int | None
) -> list[dict[str, Any]]:
    """The caller's office's open tasks for ``step`` named by ``reference``: the task's id, the
    matter's number or id, or the consultation's, case's or investigation's id."""
    tasks = [t for t in review.tasks("open") if t["kind"] in step.kinds]
    direct = [t for t in tasks if reference in (t["id"], t["subject_id"], t["case_id"], t["matter_id"])]
    if not direct and tasks:
        # Not an id review knows: perhaps the matter's number.
        try:
            matter_id = intake.matter_id(reference)
        except ProblemError:
            matter_id = None
        direct = [t for t in tasks if t["matter_id"] == matter_id]
    if target is not None:
        direct = [t for t in direct if t["target_index"] == target]
    return direct


def matter_numbers(intake: IntakeClient, tasks: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each task's matter number, by matter id; the id itself where intake does not show the
    caller the matter (yet), though review lists the task."""
    numbers: dict[str, str] = {}
    for matter_id in dict.fromkeys(t["matter_id"] for t in tasks):
        try:
            numbers[matter_id] = intake.get(matter_id)["number"]
        except ProblemError:
            numbers[matter_id] = matter_id
    return numbers
