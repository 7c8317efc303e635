"""A matter's progress as the reporting worker projects it from the events of every service,
published to NATS JetStream as each service's outbox relay publishes them, and read over HTTP:
each stage in turn, a redelivery that changes nothing, the work-view list, and the refusals of
callers who may not read the matter."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from wenze.events import (
    AppealDecided,
    AppealFiled,
    ConsultationConcluded,
    ConsultationRequested,
    DecidedMeasure,
    DecisionMade,
    Event,
    ExecutionCompleted,
    ExecutionOpened,
    MatterAccepted,
    MatterReceived,
    MatterRouted,
    NoticeSent,
    StepRecorded,
    TargetSnapshot,
)
from wenze.messaging.nats import connect_nats
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, start_nats

pytestmark = pytest.mark.integration

TENANT = "kunshan"
REALM = "wenze-kunshan"
CITE_ROUTING = "昆纪办发〔2019〕19号 三.2"
CITE_REVIEW = "昆纪办发〔2019〕19号 四.1"
HANDLER = "discipline_supervision_office"
TRIAL = "case_trial_office"
TARGET = TargetSnapshot(kind="person", name="张某", post="副镇长", unit="玉山镇", cadre_level="city_managed")
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def progress_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def progress_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server of this module's own: on the session's, this worker would share the
    reporting consumers with every later test's reporting worker, and once this module's
    database is dropped it would take their events only to fail on them."""
    server = start_nats(tmp_path_factory.mktemp("progress-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(service_factory, progress_database: str, progress_nats: NatsServer) -> Iterator[ServiceProcess]:
    process = service_factory("reporting", database=progress_database, nats_url=progress_nats.url)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def worker(
    service_factory, progress_database: str, progress_nats: NatsServer, api: ServiceProcess
) -> Iterator[ServiceProcess]:
    # Started after the api, which has migrated the schema the worker writes to; stopped
    # before the database and the NATS server it uses go away.
    process = service_factory("reporting", "worker", database=progress_database, nats_url=progress_nats.url)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client_for(api: ServiceProcess, token: Callable[..., str]) -> Iterator[Callable[[str, str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(realm: str, username: str) -> httpx.Client:
        client = httpx.Client(
            base_url=api.url, timeout=60, headers={"Authorization": f"Bearer {token(realm, username)}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


async def _publish(nats_url: str, events: list[Event], *, again: bool = False) -> None:
    """Publish as the producers' relays do; ``again`` gives new message ids, so JetStream takes the
    copies and only reporting's inbox can tell they were applied before."""
    client = await connect_nats(nats_url, name="progress-test-producers")
    js = client.jetstream()
    for service in ("intake", "routing", "review", "sanction-execution", "notification"):
        await ensure_stream(js, stream_for(service))
    for event in events:
        message_id = str(uuid.uuid4()) if again else str(event.event_id)
        await js.publish(event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": message_id})
    await client.close()


def publish(server: NatsServer, *events: Event, again: bool = False) -> None:
    asyncio.run(_publish(server.url, list(events), again=again))


class Matter:
    """One Kunshan matter's events, in the order its services produce them, an hour apart."""

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.number = f"KS-2026-{uuid.uuid4().int % 100000:05d}"
        self.slip_id = uuid.uuid4()
        self.case_id = uuid.uuid4()
        self.decision_id = uuid.uuid4()
        self.hours = 0

    def at(self) -> dt.datetime:
        self.hours += 1
        return START + dt.timedelta(hours=self.hours)

    def common(self) -> dict:
        return {"tenant": TENANT, "matter_id": self.id, "occurred_at": self.at()}

    def received(self) -> MatterReceived:
        return MatterReceived(
            **self.common(),
            number=self.number,
            source="inspection",
            source_reference=None,
            summary="玉山镇环境整治工作推进不力",
            key_supervised=False,
            proposed_form=None,
            targets=[TARGET],
        )

    def accepted(self) -> MatterAccepted:
        return MatterAccepted(
            **self.common(),
            number=self.number,
            source="inspection",
            summary="玉山镇环境整治工作推进不力",
            facts="巡察发现",
            key_supervised=False,
            proposed_form=None,
            targets=[TARGET],
            relevant_date=dt.date(2026, 3, 1),
            study_date=dt.date(2026, 3, 2),
            participants=["party_conduct_office"],
            accepted_by="party_conduct_office",
        )

    def slip(self) -> dict:
        return {
            **self.common(),
            "slip_id": self.slip_id,
            "slip_number": "昆纪委问分〔2026〕7号",
            "matter_number": self.number,
            "summary": "玉山镇环境整治工作推进不力",
            "relevant_date": dt.date(2026, 3, 1),
            "targets": [TARGET],
            "facts": {},
            "outcome": {},
            "citations": [CITE_ROUTING],
        }

    def consultation(self) -> ConsultationRequested:
        return ConsultationRequested(
            **self.slip(),
            lead="party_conduct_office",
            participants=[HANDLER, "review_investigation_office"],
            proposed_handler=HANDLER,
            handler_candidates=[HANDLER, "review_investigation_office"],
            approved_by=["commission_leaders"],
            escalation=[],
        )

    def concluded(self) -> ConsultationConcluded:
        return ConsultationConcluded(
            **self.common(),
            consultation_id=uuid.uuid4(),
            slip_id=self.slip_id,
            handler=HANDLER,
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
        )

    def routed(self) -> MatterRouted:
        return MatterRouted(
            **self.slip(),
            handler=HANDLER,
            cc=[],
            investigated_by=HANDLER,
            investigated_with=[],
            reclassify_after_investigation=False,
            joint_review_required=True,
            start_approved_by=["commission_leaders"],
            decided_by=["standing_committee_meeting"],
            fixed_by="consultation",
        )

    def step(self, kind: str, action: str, office: str | None, state: str | None = None) -> StepRecorded:
        return StepRecorded(
            **self.common(),
            kind=kind,
            case_id=self.case_id,
            subject_id=self.case_id,
            action=action,
            office=office,
            case_state=state,
            citations=[CITE_REVIEW],
        )

    def decided(self) -> DecisionMade:
        return DecisionMade(
            **self.common(),
            decision_id=self.decision_id,
            number="KS-DEC-2026-00003",
            matter_number=self.number,
            decided_by="standing_committee_meeting",
            decided_on=dt.date(2026, 3, 20),
            announced_on=None,
            simplified_procedure=False,
            measures=[DecidedMeasure(target=TARGET, measures=["admonishment", "circulated_notice"])],
            citations=["中国共产党问责条例 第八条"],
        )

    def execution(self, execution_id: uuid.UUID, measure: str) -> ExecutionOpened:
        return ExecutionOpened(
            **self.common(),
            execution_id=execution_id,
            decision_id=self.decision_id,
            decision_number="KS-DEC-2026-00003",
            matter_number=self.number,
            target=TARGET,
            measure=measure,
            office=HANDLER,
            steps=["deliver"],
            citations=["昆纪办发〔2019〕19号 四.5"],
        )

    def executed(self, execution_id: uuid.UUID) -> ExecutionCompleted:
        return ExecutionCompleted(
            **self.common(),
            execution_id=execution_id,
            decision_id=self.decision_id,
            matter_number=self.number,
            outcome="carried_out",
        )


def wait_for(client: httpx.Client, matter: Matter, events: int) -> dict:
    """The matter's progress once the worker has applied ``events`` of it."""
    deadline = time.monotonic() + WAIT_SECONDS
    body: dict = {}
    response = None
    while time.monotonic() < deadline:
        response = client.get(f"/v1/matters/{matter.id}/progress")
        if response.status_code == 200:
            body = response.json()
            if body["events"] >= events:
                return body
        time.sleep(0.3)
    last = response.text if response is not None else ""
    raise AssertionError(f"the worker applied {body.get('events')} of {events} events: {body or last}")


def test_a_matter_through_every_stage(
    worker: ServiceProcess, progress_nats: NatsServer, client_for: Callable[[str, str], httpx.Client]
) -> None:
    overseer = client_for(REALM, "ks-case-management")
    matter = Matter()
    first, second = uuid.uuid4(), uuid.uuid4()
    steps: list[tuple[list[Event], str, list[str]]] = [
        ([matter.received()], "received", []),
        ([matter.accepted()], "accepted", []),
        ([matter.consultation()], "consultation", ["party_conduct_office", HANDLER, "review_investigation_office"]),
        (
            [
                matter.step("consultation", "consultation_opened", "party_conduct_office"),
                matter.step("consultation", "consultation_signed", HANDLER),
                matter.concluded(),
            ],
            "consultation",
            # Opening it, signing it and concluding it leave it with the offices the request named.
            ["party_conduct_office", HANDLER, "review_investigation_office"],
        ),
        ([matter.routed()], "routed", [HANDLER]),
        ([matter.step("case", "case_opened", HANDLER, "awaiting_start_approval")], "start_approval", [HANDLER]),
        (
            [matter.step("case", "start_approved", "commission_leaders", "investigating")],
            "investigating",
            ["commission_leaders"],
        ),
        ([matter.step("case", "findings_recorded", HANDLER, "recommending")], "recommendation", [HANDLER]),
        ([matter.step("joint_review", "joint_review_opened", TRIAL)], "joint_review", [TRIAL]),
        ([matter.step("case", "decision_stage_opened", None, "deciding")], "approvals", [TRIAL]),
        ([matter.step("case", "hearing_recorded", HANDLER, "deciding")], "hearing", [HANDLER]),
        ([matter.decided()], "decided", ["standing_committee_meeting"]),
        ([matter.execution(first, "admonishment"), matter.execution(second, "circulated_notice")], "execution", []),
        ([matter.executed(first)], "execution", [HANDLER]),
        ([matter.executed(second)], "executed", [HANDLER]),
    ]
    seen = 0
    for events, stage, offices in steps:
        publish(progress_nats, *events)
        seen += len(events)
        progress = wait_for(overseer, matter, seen)
        assert progress["stage"] == stage, (stage, progress["timeline"][-1])
        if offices:
            assert sorted(o["code"] for o in progress["offices"]) == sorted(offices)
    assert progress["number"] == matter.number
    assert progress["stage_label"] == "执行完毕"
    assert [o["label"] for o in progress["offices"]] == ["执纪监督室"]

    timeline = progress["timeline"]
    assert len(timeline) == seen
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    # Times in the tenant's zone: the first event was at 02:00 UTC, 10:00 in Kunshan.
    assert timeline[0]["at"] == "2026-03-02T10:00:00+08:00"
    assert timeline[0]["label"] == f"登记问责事项{matter.number}（来源：市委巡察机构等移送）"
    assert {e["service"] for e in timeline} == {"intake", "routing", "review", "sanction-execution"}
    routed = next(e for e in timeline if e["event"] == "slip.routed")
    assert routed["label"] == "分办至执纪监督室（昆纪委问分〔2026〕7号）"
    assert routed["citations"] == [CITE_ROUTING]
    assert routed["office"] == {"code": HANDLER, "label": "执纪监督室"}
    decision = next(e for e in timeline if e["event"] == "decision.made")
    assert decision["label"] == "纪委常委会监委会议作出问责决定KS-DEC-2026-00003：诫勉、通报"
    assert decision["citations"] == ["中国共产党问责条例 第八条"]
    signed = next(e for e in timeline if e["action"] == "consultation_signed")
    assert signed["label"] == "分办会商签署意见" and signed["stage"] is None

    # Appeals move the matter on; notices only add to the timeline.
    appeal = uuid.uuid4()
    publish(
        progress_nats,
        AppealFiled(
            **matter.common(),
            appeal_id=appeal,
            decision_id=matter.decision_id,
            matter_number=matter.number,
            target=TARGET,
            filed_on=dt.date(2026, 3, 25),
            heard_by="standing_committee_meeting",
            suspends_execution=False,
            citations=["中国共产党问责条例 第二十二条"],
        ),
        NoticeSent(
            **matter.common(),
            notice_id=uuid.uuid4(),
            delivery_id=uuid.uuid4(),
            notice="result_feedback",
            recipient="party_conduct_office",
            channel="email",
            attempts=1,
        ),
    )
    seen += 2
    progress = wait_for(overseer, matter, seen)
    assert progress["stage"] == "appeal"
    assert progress["timeline"][-1]["label"] == "通知（电子邮件）已送达"
    publish(
        progress_nats,
        AppealDecided(
            **matter.common(),
            appeal_id=appeal,
            decision_id=matter.decision_id,
            matter_number=matter.number,
            outcome="upheld",
            measures=[],
            decided_on=dt.date(2026, 4, 10),
            citations=["中国共产党问责条例 第二十二条"],
        ),
    )
    seen += 1
    progress = wait_for(overseer, matter, seen)
    assert (progress["stage"], progress["stage_label"]) == ("appeal_decided", "申诉已处理")
    assert progress["timeline"][-1]["label"] == "申诉处理结果：维持原决定"


def test_a_redelivery_changes_nothing(
    worker: ServiceProcess, progress_nats: NatsServer, client_for: Callable[[str, str], httpx.Client]
) -> None:
    overseer = client_for(REALM, "ks-case-management")
    matter = Matter()
    events: list[Event] = [matter.received(), matter.accepted(), matter.routed()]
    publish(progress_nats, *events)
    before = wait_for(overseer, matter, len(events))
    assert before["stage"] == "routed"
    # The same events again under new message ids, and a later one to know when they were read.
    later = matter.step("case", "case_opened", HANDLER, "investigating")
    publish(progress_nats, *events, again=True)
    publish(progress_nats, later)
    after = wait_for(overseer, matter, len(events) + 1)
    assert after["events"] == len(events) + 1
    assert after["timeline"][: len(events)] == before["timeline"]
    assert after["stage"] == "investigating"


def test_the_work_view_lists_by_office_and_stage(
    worker: ServiceProcess, progress_nats: NatsServer, client_for: Callable[[str, str], httpx.Client]
) -> None:
    overseer = client_for(REALM, "ks-case-management")
    joint, routed = Matter(), Matter()
    publish(progress_nats, routed.received(), routed.routed())
    publish(progress_nats, joint.received(), joint.routed(), joint.step("joint_review", "joint_review_opened", TRIAL))
    wait_for(overseer, routed, 2)
    wait_for(overseer, joint, 3)

    listed = overseer.get("/v1/matters/progress", params={"office": TRIAL, "stage": "joint_review", "limit": 200})
    assert listed.status_code == 200, listed.text
    ids = [m["matter_id"] for m in listed.json()["matters"]]
    assert str(joint.id) in ids and str(routed.id) not in ids
    assert all(m["stage"] == "joint_review" for m in listed.json()["matters"])
    by_handler = overseer.get("/v1/matters/progress", params={"office": HANDLER, "stage": "routed"}).json()
    assert str(routed.id) in [m["matter_id"] for m in by_handler["matters"]]
    assert by_handler["total"] >= 1 and by_handler["limit"] == 50

    page = overseer.get("/v1/matters/progress", params={"limit": 1}).json()
    assert len(page["matters"]) == 1 and page["total"] >= 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"stage": "somewhere"}, "stage"),
        ({"offset": -1}, "offset"),
        ({"state": "decided"}, "state"),
    ],
)
def test_bad_list_queries_are_refused_naming_the_field(
    api: ServiceProcess, client_for: Callable[[str, str], httpx.Client], params: dict, field: str
) -> None:
    response = client_for(REALM, "ks-case-management").get("/v1/matters/progress", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_callers_who_may_not_read_the_matter_get_not_found(
    worker: ServiceProcess, progress_nats: NatsServer, client_for: Callable[[str, str], httpx.Client]
) -> None:
    overseer = client_for(REALM, "ks-case-management")
    matter = Matter()
    publish(progress_nats, matter.received(), matter.accepted(), matter.routed())
    wait_for(overseer, matter, 3)
    path = f"/v1/matters/{matter.id}/progress"
    missing = overseer.get(f"/v1/matters/{uuid.uuid4()}/progress")
    assert missing.status_code == 404

    # The handling office is party to it; so is the office that accepted it.
    assert client_for(REALM, "ks-supervision-1").get(path).status_code == 200
    assert client_for(REALM, "ks-intake").get(path).status_code == 200
    refusals = [
        # Another tenant's user: as for a matter that does not exist.
        client_for("wenze-jintan", "jt-discipline-organ"),
        # A town commission: not party, and the target is a city-managed cadre.
        client_for(REALM, "ks-town-bacheng"),
        # A supervision office linked to other towns, not party to this matter.
        client_for(REALM, "ks-trial"),
    ]
    for client in refusals:
        response = client.get(path)
        assert response.status_code == 404, response.text
        assert response.json()["type"] == missing.json()["type"]
        listed = client.get("/v1/matters/progress", params={"limit": 200}).json()["matters"]
        assert str(matter.id) not in [m["matter_id"] for m in listed]
    assert overseer.get("/v1/matters/not-a-uuid/progress").status_code == 404
