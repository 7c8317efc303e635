"""The sanction-execution service's problems (RFC 9457), one stable type per refusal."""

from __future__ import annotations

from wenze.problems import Conflict, NotFound, Problem


class ExecutionNotFound(NotFound):
    slug = "execution-not-found"
    title = "Execution not found"

    def __init__(self, execution_id: str) -> None:
        super().__init__(f"no execution {execution_id} in the caller's tenant", extra={"execution_id": execution_id})


class StepNotFound(NotFound):
    slug = "execution-step-not-found"
    title = "Execution step not found"

    def __init__(self, execution_id: str, step: str) -> None:
        super().__init__(
            f"execution {execution_id} has no step {step[:60]!r}",
            extra={"execution_id": execution_id, "step": step[:60]},
        )


class PersonNotFound(NotFound):
    slug = "person-not-found"
    title = "Person not found"

    def __init__(self, person_id: str) -> None:
        super().__init__(f"no person {person_id} in the caller's tenant", extra={"person_id": person_id})


class PersonNotFoundByNumber(NotFound):
    slug = "person-not-found"
    title = "Person not found"

    def __init__(self) -> None:
        # The number is not repeated: it is personal data the platform does not hand back.
        super().__init__("no person with this identity number is known to the caller in its tenant")


class AppealNotFound(NotFound):
    slug = "appeal-not-found"
    title = "Appeal not found"

    def __init__(self, appeal_id: str) -> None:
        super().__init__(f"no appeal {appeal_id} in the caller's tenant", extra={"appeal_id": appeal_id})


class ExecutionStateConflict(Conflict):
    slug = "execution-state-conflict"
    title = "Not possible in the execution's current state"


class StepStateConflict(Conflict):
    slug = "execution-step-state-conflict"
    title = "Not possible in the step's current state"


class DeadlineStateConflict(Conflict):
    slug = "deadline-state-conflict"
    title = "Not possible in the deadline's current state"


class AppealStateConflict(Conflict):
    slug = "appeal-state-conflict"
    title = "Not possible in the appeal's current state"


class AppealAlreadyFiled(Conflict):
    slug = "appeal-already-filed"
    title = "An appeal against this decision is already being heard"


class AnotherOfficesDeadlines(Problem):
    status = 403
    slug = "another-offices-deadlines"
    title = "Another office's deadlines"

    def __init__(self, office: str) -> None:
        super().__init__(
            f"the deadlines of {office[:60]} are listed for that office, or for an office that oversees the "
            "tenant's matters (matter:oversee)",
            extra={"office": office[:60]},
        )
