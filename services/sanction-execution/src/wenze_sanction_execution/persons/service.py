"""Persons, their after-effect periods (影响期) and their accountability history.

After-effects come from the pack's ``after_effects`` workflow step, evaluated per target of a
decision with all its measures; each rule that set a bar keeps its own row and article.
Eligibility on a date combines the periods that hold then as the packs say: concurrent
periods do not add up, the latest end wins (``wenze_sanction_execution.terms.combined_until``).
The history lists every decided measure, revoked ones marked so, for review's recidivism
factors (docs/execution.md).

A person is read by whoever may read one of their executions (``wenze.auth.access``); anyone
else gets a 404, as for a person who does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from wenze.auth import Principal
from wenze.auth.access import read_scope
from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.persons import PersonReferences
from wenze.rules import RulePack
from wenze_sanction_execution.audit import by_caller
from wenze_sanction_execution.errors import PersonNotFound, PersonNotFoundByNumber
from wenze_sanction_execution.persons.models import AfterEffect, EffectState, Person, Purpose
from wenze_sanction_execution.persons.schemas import (
    BarRead,
    EligibilityQuery,
    EligibilityRead,
    HistoryEntry,
    HistoryRead,
    PersonRead,
    PersonSearch,
)
from wenze_sanction_execution.repositories import SanctionExecutionRepositories
from wenze_sanction_execution.terms import Bar, after_effects, combined_until, decision_facts, holds_on

PERSON = "person"
Uow = UnitOfWork[SanctionExecutionRepositories]


async def record_after_effects(
    uow: Uow,
    pack: RulePack,
    *,
    person_id: str,
    decision_id: str,
    decision_number: str,
    target: dict[str, Any],
    measures: Sequence[str],
    decided_on: dt.date,
) -> list[AfterEffect]:
    """Store the bars the pack sets for ``measures`` of one decision; none where the pack has no
    after-effects step, or for a decision and person that already have theirs."""
    step = pack.workflow_decision("after_effects")
    if step is None or await uow.repos.persons.active_effects_of_decision(pack.tenant, person_id, decision_id):
        return []
    # The tenant's readings of the pack's interpretation points in force on the decision's date.
    readings = await uow.repos.interpretations.readings_on(pack.tenant, decided_on)
    evaluation = pack.evaluate(
        step, decision_facts(pack, target, measures, decided_on), on=decided_on, readings=readings
    )
    effects = [
        AfterEffect(
            tenant=pack.tenant,
            person_id=person_id,
            decision_id=decision_id,
            decision_number=decision_number,
            purpose=planned.purpose,
            starts_on=decided_on,
            until=planned.until,
            period_set_by=planned.period_set_by,
            rule=planned.rule,
            description=planned.description,
            citations=planned.citations,
            interpretations=planned.interpretations,
            state=EffectState.ACTIVE,
        )
        for planned in after_effects(pack, evaluation, decided_on)
    ]
    await uow.repos.persons.add_effects(effects)
    return effects


def eligibility(person_id: str, on: dt.date, purpose: Purpose, effects: Sequence[AfterEffect]) -> EligibilityRead:
    bars = [
        Bar(
            purpose=e.purpose,
            until=e.until,
            period_set_by=e.period_set_by,
            decision_number=e.decision_number,
            starts_on=e.starts_on,
            rule=e.rule,
            description=e.description,
            citations=list(e.citations),
            interpretations=list(e.interpretations),
        )
        for e in effects
        if e.state == EffectState.ACTIVE and e.purpose == purpose
    ]
    holding = [b for b in bars if holds_on(b, on)]
    barred, until = combined_until(holding)
    citations = list(dict.fromkeys(c for b in holding for c in b.citations))
    interpretations = list({i["point"]: i for b in holding for i in b.interpretations}.values())
    if not barred:
        reason = f"no after-effect period bars {purpose.value} on {on}"
    elif until is None:
        sources = "; ".join(sorted({b.period_set_by or b.description for b in holding if b.until is None}))
        reason = f"{purpose.value} is barred for a period set by {sources}"
    else:
        reason = f"{purpose.value} is barred until {until} by " + "; ".join(
            f"{b.decision_number} ({b.description})" for b in holding
        )
    return EligibilityRead(
        person_id=person_id,
        date=on,
        purpose=purpose,
        eligible=not barred,
        until=until,
        reason=reason,
        bars=[BarRead(**b.__dict__) for b in holding],
        citations=citations,
        interpretations=interpretations,
    )


class PersonService:
    def __init__(self, uow: UnitOfWorkFactory[SanctionExecutionRepositories], person_refs: PersonReferences):
        self.uow = uow
        self.person_refs = person_refs

    async def search(
        self, principal: Principal, query: PersonSearch, *, client_address: str | None
    ) -> list[PersonRead]:
        reference = (
            self.person_refs.reference(principal.tenant, query.identity_number) if query.identity_number else None
        )
        ids = [query.person_id] if query.person_id else None
        async with self.uow() as uow:
            found = await uow.repos.persons.search(
                principal.tenant, query.name, query.unit, ids, query.limit, reference=reference
            )
            scope = read_scope(principal)
            visible = [p for p in found if await uow.repos.executions.any_visible(principal.tenant, scope, p.id)]
            read = [PersonRead.model_validate(p) for p in visible]
            await uow.repos.audit.append(
                principal.tenant,
                [
                    by_caller(
                        principal, client_address, "person.search", PERSON, "*", {"person_ids": [p.id for p in read]}
                    )
                ],
            )
            await uow.commit()
            return read

    async def eligibility_of(
        self, principal: Principal, query: EligibilityQuery, *, client_address: str | None
    ) -> EligibilityRead:
        if query.person_id is not None:
            person_id = query.person_id
        else:
            assert query.identity_number is not None
            reference = self.person_refs.reference(principal.tenant, query.identity_number)
            async with self.uow() as uow:
                person = await uow.repos.persons.by_reference(principal.tenant, reference)
                if person is None or not await uow.repos.executions.any_visible(
                    principal.tenant, read_scope(principal), person.id
                ):
                    raise PersonNotFoundByNumber()
                person_id = person.id
        return await self.eligibility(principal, person_id, query.date, query.purpose, client_address=client_address)

    async def eligibility(
        self, principal: Principal, person_id: str, on: dt.date, purpose: Purpose, *, client_address: str | None
    ) -> EligibilityRead:
        async with self.uow() as uow:
            await self._readable(uow, principal, person_id)
            effects = await uow.repos.persons.effects(principal.tenant, person_id, purpose)
            answer = eligibility(person_id, on, purpose, effects)
            await uow.repos.audit.append(
                principal.tenant,
                [
                    by_caller(
                        principal,
                        client_address,
                        "person.eligibility",
                        PERSON,
                        person_id,
                        {"date": on.isoformat(), "for": purpose.value, "eligible": answer.eligible},
                    )
                ],
            )
            await uow.commit()
            return answer

    async def history(self, principal: Principal, person_id: str, *, client_address: str | None) -> HistoryRead:
        async with self.uow() as uow:
            person = await self._readable(uow, principal, person_id)
            executions = await uow.repos.executions.of_person(principal.tenant, person_id)
            entries = [
                HistoryEntry(
                    decision_id=e.decision_id,
                    decision_number=e.decision_number,
                    matter_number=e.matter_number,
                    measure=e.measure,
                    decided_on=e.decided_on,
                    state=e.state,
                    execution_id=e.id,
                )
                for e in executions
            ]
            await uow.repos.audit.append(
                principal.tenant, [by_caller(principal, client_address, "person.history", PERSON, person_id)]
            )
            await uow.commit()
            return HistoryRead(person=PersonRead.model_validate(person), entries=entries)

    @staticmethod
    async def _readable(uow: Uow, principal: Principal, person_id: str) -> Person:
        person = await uow.repos.persons.get(principal.tenant, person_id)
        if person is None or not await uow.repos.executions.any_visible(
            principal.tenant, read_scope(principal), person_id
        ):
            raise PersonNotFound(person_id)
        return person
