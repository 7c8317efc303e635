"""Zhenxiong's 十六 is silent on whether an appeal stays execution (interpretation point
``appeal_suspends_execution``; the pack's default reads 十三（四）as keeping execution going).
Once the county's administrator chooses the stay from a date, an appeal against a decision
received after that date suspends the execution, and one against a decision received before
keeps it running; each appeal names the point and the reading it was read under.

The choice reaches the service as routing publishes it (``interpretation.chosen``), delivered
in-process through the method the worker's consumer calls, as the decisions are here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.db.interpretations import InterpretationLearner
from wenze.db.tenancy import tenant_scope
from wenze.events import InterpretationReadingChosen
from wenze_sanction_execution.worker import INTERPRETATION_CONSUMER

from .conftest import decision, deliver

pytestmark = pytest.mark.integration

POINT = "appeal_suspends_execution"
CHOSEN_FROM = dt.date(2026, 11, 2)


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
