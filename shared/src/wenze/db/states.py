"""Each aggregate's states, the moves between them, and the one way a state changes.

A service never assigns ``entity.state``: it asks the aggregate's :class:`StateMachine` to
``move`` it. The move is a conditional update, ``UPDATE … SET state = :to WHERE id = :id AND
state = :from``, whose row count is checked: of two concurrent requests that both read the
same state, only one moves it, on PostgreSQL and on SQLite alike (where ``FOR UPDATE`` locks
nothing). Moves of many rows at once (closing every open task of a case) take their
condition from the same table through :meth:`StateMachine.can_move`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value

from wenze.problems import Conflict

S = TypeVar("S", bound=StrEnum)


def _as_states(states: type[S], sources: S | Iterable[S]) -> Iterable[S]:
    if isinstance(sources, states):
        return [sources]
    assert not isinstance(sources, StrEnum)
    return sources


class TransitionRefused(Conflict):
    slug = "state-transition-refused"
    title = "Not possible in the current state"


@dataclass(frozen=True)
class Transition(Generic[S]):
    action: str
    sources: frozenset[S]
    target: S


class StateMachine(Generic[S]):
    """The states of one aggregate and, per action, the states it starts from and leads to.

    ``refusal`` is the problem raised when a move is not possible: the aggregate's own 409, so
    clients keep the type URI they already switch on.

    Name the states when constructing one, ``StateMachine[CaseState]("case", CaseState, {...})``:
    a ``StrEnum`` member is itself an iterable of strings, so from a table mixing single
    sources and lists of them a type checker would infer the machine's states as plain ``str``.
    """

    def __init__(
        self,
        aggregate: str,
        states: type[S],
        transitions: Mapping[str, tuple[S | Iterable[S], S]],
        *,
        refusal: type[Conflict] = TransitionRefused,
        stays: Mapping[str, S | Iterable[S]] | None = None,
    ) -> None:
        """``stays``: actions that change the entity but keep its state (a case handed to
        another office goes on where it was), with the states they start from."""
        self.aggregate = aggregate
        self.states = states
        self.refusal = refusal
        self._transitions: dict[str, Transition[S]] = {}
        for action, (sources, target) in transitions.items():
            start = frozenset(_as_states(states, sources))
            self._transitions[action] = Transition(action, start, target)
        self._stays = {action: frozenset(_as_states(states, sources)) for action, sources in (stays or {}).items()}
        if both := set(self._stays) & set(self._transitions):
            raise ValueError(f"{aggregate}: {sorted(both)} both change and keep the state")

    def transition(self, action: str) -> Transition[S]:
        """The transition of an action that leads to one state (not of one that ``stays``)."""
        try:
            return self._transitions[action]
        except KeyError:
            raise ValueError(f"{self.aggregate} has no action {action!r} leading to one state") from None

    def _sources(self, action: str) -> frozenset[S]:
        if action in self._stays:
            return self._stays[action]
        return self.transition(action).sources

    def allows(self, action: str, current: str) -> bool:
        return current in self._sources(action)

    def check(self, action: str, current: str, detail: str | None = None) -> Transition[S]:
        """The transition of ``action`` from ``current``, or the refusal when ``current`` is not
        a state it starts from. An action that ``stays`` leads from ``current`` to itself."""
        sources = self._sources(action)
        if current not in sources:
            expected = " or ".join(sorted(sources))
            raise self.refusal(
                detail or f"the {self.aggregate} is {current}; to {action} it, it must be {expected}",
                extra={"state": current, "action": action},
            )
        if action in self._stays:
            return Transition(action, sources, self.states(current))
        return self.transition(action)

    async def move(
        self,
        session: AsyncSession,
        entity: Any,
        action: str,
        *,
        detail: str | None = None,
        unchanged: Sequence[str] = (),
        **values: Any,
    ) -> S:
        """Move ``entity`` by ``action``, setting ``values`` with its state, if nobody moved it
        first; the refusal otherwise. ``detail`` words the refusal for the caller.

        ``unchanged`` names further columns the row must still hold as ``entity`` read them (a
        revision the move increments, say): a move that keeps the state (routed → routed) is
        then refused too when another request moved the entity first."""
        current = entity.state
        transition = self.check(action, current, detail)
        model = type(entity)
        key = {column.key: getattr(entity, column.key) for column in inspect(model).primary_key}
        expected = {**key, **{name: getattr(entity, name) for name in unchanged}}
        statement = (
            update(model)
            .where(*(getattr(model, name) == value for name, value in expected.items()), model.state == current)
            .values(state=transition.target, **values)
            .execution_options(synchronize_session=False)
        )
        result = await session.execute(statement)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise self.refusal(
                f"the {self.aggregate} was changed by another request at the same time; read it again",
                extra={"state": current, "action": action},
            )
        # The row now holds these values; the instance says so without making them pending.
        for name, value in {"state": transition.target, **values}.items():
            set_committed_value(entity, name, value)
        return transition.target

    def can_move(self, action: str, state_column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """The condition for rows ``action`` may move, for set-based moves of many rows."""
        return state_column.in_(sorted(self._sources(action)))
