"""The issue's demo end to end: a Kunshan decision of 30 September 2026, made through review's
API, gives sanction-execution a "copy the decision" deadline due on 10 October (three working
days on the official calendar: National Day's week is off, Saturday 10 October a make-up
working day) with its reminder two days before, read through sanction-execution's API.

Review refuses a decision dated before its case was opened, and a case is opened on review's
today. So the services run on a stack of their own (database, NATS), review with its clock
rehearsing 30 September (``WENZE_REVIEW_REHEARSAL_DATE``): the case is opened, heard and
decided that day, and everything downstream follows from the decision's own date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from wenze.calendar import DeadlineSpec
from wenze.rules.deadlines import default_calendar
from wenze_devtools.testing.infra import ServiceProcess, fresh_database, migrate, start_nats

from .conftest import SERVICES, Tenant
from .kunshan import hear_town_case, town_decision, town_matter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

DECIDED_ON = dt.date(2026, 9, 30)
TOWN_CADRE = {
    "kind": "person",
    "name": "顾立新",
    "post": "副镇长",
    "unit": "巴城镇",
    "cadre_level": "not_city_managed",
    "sector": "district_town",
    "party_member": True,
}


@pytest.fixture(scope="module")
def rehearsal_stack(service_factory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServiceProcess]]:
    """Intake, routing, review and sanction-execution on their own database and NATS server:
    the session's stack runs review on the real clock, and its workers would share the
    consumers with these."""
    nats = start_nats(tmp_path_factory.mktemp("rehearsal-nats"))
    started: list[ServiceProcess] = []
    try:
        with fresh_database() as url:
            migrate(url, *SERVICES)

            def settings(service: str) -> dict[str, str]:
                return {"rehearsal_date": DECIDED_ON.isoformat()} if service == "review" else {}

            # Intake's api relays its own events; the other three consume theirs in a worker.
            for service in ("routing", "review", "sanction-execution"):
                started.append(
                    service_factory(service, "worker", wait=False, database=url, nats_url=nats.url, **settings(service))
                )
            stack = {
                s: service_factory(s, wait=False, database=url, nats_url=nats.url, **settings(s)) for s in SERVICES
            }
            for api in stack.values():
                api.wait_ready()
            started.extend(stack.values())
            yield stack
            for process in started:
                process.stop()
    finally:
        nats.stop()


def test_a_decision_of_30_september_is_copied_by_10_october_with_the_reminder_two_days_before(
    rehearsal_stack, issuer_url: str, token
) -> None:
    ks = Tenant("wenze-kunshan", issuer_url, rehearsal_stack, token)
    try:
        _, slip = town_matter(ks, TOWN_CADRE)
        case = hear_town_case(ks, slip, "reminder_talk", held_on=DECIDED_ON.isoformat())
        town = ks.user("ks-town-bacheng")
        # The day after the rehearsed today is refused: the date is review's to check, not the test's.
        early = town.post(
            "review",
            f"/v1/cases/{case['id']}/decision",
            town_decision(DECIDED_ON + dt.timedelta(days=1), ["reminder_talk"]),
        )
        assert early.status_code == 422 and early.json()["errors"][0]["field"] == "body.decided_on", early.text
        decision = town.ok("review", f"/v1/cases/{case['id']}/decision", town_decision(DECIDED_ON, ["reminder_talk"]))[
            "decision"
        ]
        assert decision["decided_on"] == "2026-09-30"

        (execution,) = ks.executions(decision["id"], "ks-town-bacheng")
        assert execution["decided_on"] == "2026-09-30"
        (deadline,) = [d for d in execution["deadlines"] if d["duty"] == "copy_decision"]
        # 意见 二.3: three working days on the official calendar, the reminder two days ahead.
        three_working_days = DeadlineSpec(kind="working_days", amount=3).compute(DECIDED_ON, default_calendar())
        assert three_working_days == dt.date(2026, 10, 10)
        assert deadline["due_on"] == three_working_days.isoformat()
        assert deadline["remind_on"] == "2026-10-08"
        assert deadline["office"] == "district_town_commission"
        assert deadline["citations"] == ["昆纪办发〔2019〕19号 二.3"]
    finally:
        ks.close()
