"""Outcomes after a decision name the interpretation points they depended on and the reading
applied, and a tenant's choice changes both for decisions dated after it.

Zhenxiong's 十六 is silent on whether an appeal stays execution (interpretation point
``appeal_suspends_execution``; the pack's default reads 十三（四）as keeping execution going).
Once the county's administrator chooses the stay from a date, an appeal against a decision
received after that date suspends the execution, and one against a decision received before
keeps it running; each appeal names the point and the reading it was read under, and so does
the ``appeal.filed`` event.

Jintan's 第十九条第一款 gives a month for the formalities without saying whether its last day
moves off a rest day (``completion_month_rest_day``). Once the district chooses that it does, an
execution decided after the choice is due on the next working day; the execution, its deadline,
``execution.opened`` and the deadline's events name the reading, and the after-effect periods,
which do not rest on the point, name none.

The choice reaches the service as routing publishes it (``interpretation.chosen``), delivered
in-process through the method the worker's consumer calls, as the decisions are here.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from wenze.db.interpretations import InterpretationLearner
from wenze.db.outbox import OutboxRecord
from wenze.db.tenancy import tenant_scope
from wenze.events import InterpretationReadingChosen
from wenze.rules import get_pack
from wenze_sanction_execution.worker import INTERPRETATION_CONSUMER

from .conftest import decision, deliver

pytestmark = pytest.mark.integration

POINT = "appeal_suspends_execution"
CHOSEN_FROM = dt.date(2026, 11, 2)


async def published(units, tenant: str, kind: str, key: str, value: str) -> list[dict]:
    with tenant_scope(tenant):
        async with units() as uow:
            rows = await uow.session.scalars(select(OutboxRecord).where(OutboxRecord.subject.like(f"%.{kind}.v1")))
            payloads = [json.loads(r.payload) for r in rows]
    return [p for p in payloads if p.get(key) == value]


async def appeal_against(executions, client_for, execution_api, name: str, received: dt.date) -> tuple[dict, dict]:
    event = decision(
        "zhenxiong",
        decided_on=received,
        announced_on=received,
        decided_by="county_standing_committee",
        target={"kind": "person", "name": name, "unit": "县纪委监委第三监督检查室", "cadre_level": "leader"},
        measures=["admonishment"],
    )
    await deliver(executions, event)
    committee = client_for(execution_api, "wenze-zhenxiong", "zx-standing-committee")
    (execution,) = committee.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    filed = committee.post(
        "/v1/appeals",
        json={
            "decision_id": str(event.decision_id),
            "person_id": execution["person_id"],
            "filed_on": (received + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert filed.status_code == 201, filed.text
    return filed.json(), committee.get(f"/v1/executions/{execution['id']}").json()


async def test_a_chosen_stay_suspends_execution_for_decisions_received_after_its_date_only(
    execution_api, executions, units, client_for
) -> None:
    chosen = InterpretationReadingChosen(
        tenant="zhenxiong",
        point=POINT,
        reading="stay",
        effective_from=CHOSEN_FROM,
        choice_version=1,
        chosen_by="zx-admin",
        reason="县纪委常委会研究决定",
    )
    learner = InterpretationLearner(units, INTERPRETATION_CONSUMER)
    with tenant_scope("zhenxiong"):
        await learner.learn(chosen)
        await learner.learn(chosen)  # redelivered: kept once

    before, kept_running = await appeal_against(executions, client_for, execution_api, "林一", dt.date(2026, 10, 12))
    assert before["suspends_execution"] is False
    assert kept_running["state"] == "open"
    (read_before,) = [i for i in before["interpretations"] if i["point"] == POINT]
    assert (read_before["reading"], read_before["default"]) == ("no_stay", True)

    after, stayed = await appeal_against(executions, client_for, execution_api, "林二", dt.date(2026, 11, 9))
    assert after["suspends_execution"] is True
    assert stayed["state"] == "suspended"
    (read_after,) = [i for i in after["interpretations"] if i["point"] == POINT]
    assert (read_after["reading"], read_after["default"]) == ("stay", False)
    assert "镇雄县纪检监察干部工作责任追究办法（试行） 十六" in [
        f"{c['document']} {c['article']}" for c in read_after["citations"]
    ]
    assert "镇雄县纪检监察干部工作责任追究办法（试行） 十六" in after["citations"]
    (filed,) = await published(units, "zhenxiong", "appeal.filed", "appeal_id", after["id"])
    (announced,) = [i for i in filed["interpretations"] if i["point"] == POINT]
    assert (announced["reading"], announced["label"], announced["default"]) == (
        "stay",
        read_after["label"],
        False,
    )


REST_DAY_POINT = "completion_month_rest_day"
JINTAN = get_pack("jintan")
(REST_DAY,) = [p for p in JINTAN.points if p.id == REST_DAY_POINT]
MOVES_FROM = dt.date(2026, 11, 2)


async def jintan_admonishment(executions, unit, name: str, decided_on: dt.date) -> dict:
    event = decision(
        "jintan",
        decided_on=decided_on,
        decided_by="competent_unit",
        target={"kind": "person", "name": name, "unit": "区教育局", "cadre_level": "staff", "party_member": True},
        measures=["admonishment"],
    )
    await deliver(executions, event)
    (execution,) = unit.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    return execution


def reading_of(named: list[dict]) -> tuple[str, str, bool]:
    (applied,) = [i for i in named if i["point"] == REST_DAY_POINT]
    return applied["reading"], applied["label"], applied["default"]


async def test_a_chosen_rest_day_reading_moves_the_month_of_later_executions_and_is_named_with_them(
    execution_api, executions, units, client_for
) -> None:
    chosen = InterpretationReadingChosen(
        tenant="jintan",
        point=REST_DAY_POINT,
        reading="next_working_day",
        effective_from=MOVES_FROM,
        choice_version=1,
        chosen_by="jt-admin",
        reason="区作风办研究决定",
    )
    with tenant_scope("jintan"):
        await InterpretationLearner(units, INTERPRETATION_CONSUMER).learn(chosen)
    unit = client_for(execution_api, "wenze-jintan", "jt-unit-education")
    plain = ("calendar_month", REST_DAY.reading("calendar_month").label, True)
    moved = ("next_working_day", REST_DAY.reading("next_working_day").label, False)

    # Decided before the choice: the month ends on Saturday 14 November and stays there.
    before = await jintan_admonishment(executions, unit, "钱一", dt.date(2026, 10, 14))
    # Decided after it: the month ends on Saturday 12 December and moves to Monday the 14th.
    after = await jintan_admonishment(executions, unit, "钱二", dt.date(2026, 11, 12))
    for execution, due_on, expected in ((before, "2026-11-14", plain), (after, "2026-12-14", moved)):
        assert reading_of(execution["interpretations"]) == expected
        assert "坛作组办〔2019〕2号 第十九条第一款" in execution["citations"]
        (deadline,) = execution["deadlines"]
        assert (deadline["duty"], deadline["due_on"]) == ("formalities", due_on)
        assert reading_of(deadline["interpretations"]) == expected
        (applied,) = deadline["interpretations"]
        cited = [f"{c['document']} {c['article']}" for c in applied["citations"]]
        assert cited == ["坛作组办〔2019〕2号 第十九条第一款"]
        (opened,) = await published(units, "jintan", "execution.opened", "execution_id", execution["id"])
        assert reading_of(opened["interpretations"]) == expected
        assert opened["interpretations"][0]["citations"] == ["坛作组办〔2019〕2号 第十九条第一款"]

    # The office's list of open deadlines names the reading beside the citations too.
    listed = {d["id"]: d for d in unit.get("/v1/offices/competent_unit/deadlines").json()}
    assert reading_of(listed[after["deadlines"][0]["id"]]["interpretations"]) == moved

    # On 10 December the earlier deadline is missed and the later one within its five days'
    # lead: each event names the reading its due date was read under.
    with tenant_scope("jintan"):
        await executions.fire_deadlines("jintan", dt.date(2026, 12, 10), batch=50)
    (missed,) = await published(units, "jintan", "deadline.missed", "deadline_id", before["deadlines"][0]["id"])
    (due,) = await published(units, "jintan", "deadline.due", "deadline_id", after["deadlines"][0]["id"])
    assert (missed["due_on"], reading_of(missed["interpretations"])) == ("2026-11-14", plain)
    assert (due["due_on"], reading_of(due["interpretations"])) == ("2026-12-14", moved)

    # The bars on promotion and honours rest on 第十九条第二款 alone, whatever the month's reading.
    for execution in (before, after):
        for purpose in ("promotion", "honours"):
            answer = unit.get(
                f"/v1/persons/{execution['person_id']}/eligibility",
                params={"date": "2026-12-20", "for": purpose},
            ).json()
            assert answer["eligible"] is False and answer["bars"], answer
            assert answer["interpretations"] == [] and all(b["interpretations"] == [] for b in answer["bars"])

    # Each execution answers the periods its decision set for its person, with their article and
    # no reading, and each open deadline with the light and days left of the office's list.
    listed = {d["id"]: d for d in unit.get("/v1/offices/competent_unit/deadlines").json()}
    for execution, decided_on, promotion_until in (
        (before, "2026-10-14", "2027-04-14"),
        (after, "2026-11-12", "2027-05-12"),
    ):
        (read,) = unit.get("/v1/executions", params={"decision_id": execution["decision_id"]}).json()
        (deadline,) = read["deadlines"]
        assert deadline["state"] in ("missed", "reminded")
        office_list = listed[deadline["id"]]
        assert (deadline["light"], deadline["days_left"]) == (office_list["light"], office_list["days_left"])
        periods = {p["purpose"]: p for p in read["after_effects"]}
        assert set(periods) == {"promotion", "honours"}, periods
        assert (periods["promotion"]["starts_on"], periods["promotion"]["until"]) == (decided_on, promotion_until)
        assert periods["honours"]["until"] == "2027-01-01"
        for period in periods.values():
            assert period["state"] == "active" and period["interpretations"] == []
            assert any("第十九条第二款" in c for c in period["citations"]), period
