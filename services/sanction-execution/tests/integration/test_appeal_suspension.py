"""An appeal that suspends execution, and its outcome resuming it. No tenant's documents
suspend execution on appeal (Hubei's 第二十条 says it goes on; Zhenxiong's 十六 says nothing of
it), so the test runs on a variant of the Kunshan pack that gives an appeal which does: Kunshan
has the deadline to stop (the copy of the decision, due 2026-10-10). The variant is a test
construct, not the law; its rule cites the Kunshan article on following the implementation up.

The API runs as a process of its own on that variant (the same database as the other tests);
the decision is fed in-process and the scheduler driven with a chosen date, as elsewhere.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from wenze.rules import RulePack, rulesets_dir
from wenze_devtools.testing.infra import NatsServer, ServiceProcess

from .conftest import decision, deliver, fire_on
from .test_execution_flow import KUNSHAN_TARGET, events_about

pytestmark = pytest.mark.integration

SUSPENDING_APPEAL = """\
decision: appeal
description: A test variant, in which an appeal heard by the standing committee suspends execution until its outcome.
relevant_date: the date the decision was received
inputs:
  appeal_lodged: {type: bool, default: false}
outputs:
  appeal_allowed: {type: bool}
  heard_by: {type: codes, vocab: bodies}
  suspends_execution: {type: bool}
tables:
  - name: appeal
    hit: first
    required: true
    rules:
      - id: appeal_suspends
        when: {always: true}
        then: {appeal_allowed: true, heard_by: [standing_committee_meeting], suspends_execution: true}
        cite: [昆纪办发〔2019〕19号 附件6 第七条]
"""


@pytest.fixture
def suspending_rulesets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every shipped pack, Kunshan's with an appeal step that suspends execution; the
    environment points this process (and the services it starts) at them."""
    base = tmp_path / "rulesets"
    shutil.copytree(rulesets_dir(), base)
    kunshan = base / "kunshan"
    (kunshan / "decisions" / "appeal.yaml").write_text(SUSPENDING_APPEAL, "utf-8")
    pack = kunshan / "pack.yaml"
    text = pack.read_text("utf-8")
    assert "    execution: execution\n" in text
    pack.write_text(
        text.replace("    execution: execution\n", "    execution: execution\n    appeal: appeal\n", 1), "utf-8"
    )
    variant = RulePack(kunshan)
    assert variant.issues == [] and variant.workflow_decision("appeal") == "appeal"
    monkeypatch.setenv("WENZE_RULESETS_DIR", str(base))
    yield base


@pytest.fixture
def variant_api(
    suspending_rulesets: Path, service_factory, execution_database: str, execution_nats: NatsServer
) -> Iterator[ServiceProcess]:
    api = service_factory("sanction-execution", database=execution_database, nats_url=execution_nats.url)
    yield api
    api.stop()


async def test_an_appeal_the_pack_says_suspends_stops_execution_and_deadlines_until_its_outcome(
    variant_api, executions, units, client_for
) -> None:
    event = decision(
        "kunshan",
        decided_on=dt.date(2026, 9, 30),
        decided_by="discipline_supervision_office",
        target={**KUNSHAN_TARGET, "name": "吴建国"},
        measures=["removal_from_post"],
    )
    await deliver(executions, event)
    supervision = client_for(variant_api, "wenze-kunshan", "ks-supervision-1")
    (execution,) = supervision.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    (deadline,) = execution["deadlines"]
    assert (deadline["duty"], deadline["due_on"], deadline["state"]) == ("copy_decision", "2026-10-10", "pending")

    filed = supervision.post(
        "/v1/appeals",
        json={"decision_id": str(event.decision_id), "person_id": execution["person_id"], "filed_on": "2026-10-02"},
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["suspends_execution"] is True
    assert filed.json()["heard_by"] == ["standing_committee_meeting"]
    suspended = supervision.get(f"/v1/executions/{execution['id']}").json()
    assert suspended["state"] == "suspended"
    assert [d["state"] for d in suspended["deadlines"]] == ["suspended"]
    (announced,) = await events_about(units, "kunshan", "appeal.filed", "appeal_id", filed.json()["id"])
    assert announced["suspends_execution"] is True

    # A step of a suspended execution is not done meanwhile.
    blocked = supervision.post(
        f"/v1/executions/{execution['id']}/steps/copy_decision/completion",
        json={"completed_on": "2026-10-05"},
    )
    assert blocked.status_code == 409, blocked.text

    # While suspended the deadline neither reminds nor is missed, however long it lasts.
    for day in (dt.date(2026, 10, 8), dt.date(2026, 10, 11), dt.date(2026, 10, 12)):
        await fire_on(executions, day)
    for kind in ("deadline.due", "deadline.missed"):
        assert await events_about(units, "kunshan", kind, "deadline_id", deadline["id"]) == []

    upheld = supervision.post(
        f"/v1/appeals/{filed.json()['id']}/outcome", json={"outcome": "upheld", "decided_on": "2026-10-12"}
    )
    assert upheld.status_code == 200, upheld.text
    resumed = supervision.get(f"/v1/executions/{execution['id']}").json()
    assert resumed["state"] == "open"
    assert [d["state"] for d in resumed["deadlines"]] == ["pending"]

    # Resumed, the deadline runs again: its day passed during the appeal, so it is missed, once.
    await fire_on(executions, dt.date(2026, 10, 13))
    await fire_on(executions, dt.date(2026, 10, 14))
    assert len(await events_about(units, "kunshan", "deadline.missed", "deadline_id", deadline["id"])) == 1
    done = supervision.post(
        f"/v1/executions/{execution['id']}/steps/copy_decision/completion",
        json={"completed_on": "2026-10-13"},
    )
    assert done.status_code == 200, done.text
