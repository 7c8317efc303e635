"""A Kunshan matter as the other services' events tell it: received, accepted, consulted,
routed, decided; and the deadline and execution events sanction execution publishes."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats

from wenze.events import (
    ConsultationConcluded,
    ConsultationRequested,
    DeadlineDue,
    DecidedMeasure,
    DecisionMade,
    Event,
    ExecutionOpened,
    JointReviewConcluded,
    MatterAccepted,
    MatterReceived,
    MatterRouted,
    TargetSnapshot,
)
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import ServiceProcess

ClientFor = Callable[..., httpx.Client]

DECIDED_ON = dt.date(2026, 9, 30)
AT = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)
PERSON = TargetSnapshot(
    kind="person", name="周建华", post="党委副书记", unit="玉山镇", cadre_level="city_managed", sector="district_town"
)


@dataclass
class KunshanMatter:
    matter_id: uuid.UUID = field(default_factory=uuid.uuid4)
    number: str = field(default_factory=lambda: f"KS-2026-{uuid.uuid4().int % 99999:05d}")
    summary: str = "玉山镇落实河道整治责任不力"
    facts: str = "市政府督查发现玉山镇河道整治长期未推进，群众反映强烈。"
    source: str = "city_government"
    source_reference: str | None = "昆政督〔2026〕12号"
    handler: str = "discipline_supervision_office"
    cc: list[str] = field(default_factory=lambda: ["case_management_office"])
    measures: list[str] = field(default_factory=lambda: ["removal_from_post"])
    decision_number: str = "KS-DEC-2026-00007"
    # Review's numbers of the matter's consultation and joint review.
    consultation_number: str = "昆纪委问商〔2026〕17号"
    joint_review_number: str = "昆纪委问审〔2026〕23号"
    slip_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def received(self) -> MatterReceived:
        return MatterReceived(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT - dt.timedelta(days=60),
            number=self.number,
            source=self.source,
            source_reference=self.source_reference,
            summary=self.summary,
            key_supervised=False,
            proposed_form=None,
            targets=[PERSON],
        )

    def accepted(self) -> MatterAccepted:
        return MatterAccepted(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT - dt.timedelta(days=55),
            number=self.number,
            source=self.source,
            summary=self.summary,
            facts=self.facts,
            key_supervised=False,
            proposed_form=None,
            targets=[PERSON],
            relevant_date=dt.date(2026, 7, 20),
            study_date=dt.date(2026, 8, 5),
            participants=["甲", "乙"],
            accepted_by="ks-intake",
        )

    def consultation_requested(self) -> ConsultationRequested:
        return ConsultationRequested(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT - dt.timedelta(days=50),
            slip_id=uuid.uuid4(),
            slip_number="昆纪委问分〔2026〕31号",
            matter_number=self.number,
            summary=self.summary,
            relevant_date=dt.date(2026, 7, 20),
            targets=[PERSON],
            lead="party_conduct_office",
            participants=["case_management_office", "case_trial_office", "discipline_supervision_office"],
            proposed_handler=self.handler,
            handler_candidates=[self.handler],
            approved_by=["commission_leaders"],
            escalation=[],
            facts={},
            outcome={},
            citations=["昆纪办发〔2019〕19号 附件2 第二条"],
        )

    def routed(self) -> MatterRouted:
        return MatterRouted(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT - dt.timedelta(days=45),
            slip_id=uuid.uuid4(),
            slip_number="昆纪委问分〔2026〕31号",
            matter_number=self.number,
            summary=self.summary,
            relevant_date=dt.date(2026, 7, 20),
            targets=[PERSON],
            handler=self.handler,
            cc=self.cc,
            investigated_by=None,
            investigated_with=[],
            reclassify_after_investigation=False,
            joint_review_required=True,
            start_approved_by=[],
            decided_by=[],
            fixed_by="rules",
            facts={},
            outcome={},
            citations=["昆纪办发〔2019〕19号 三.1"],
        )

    def consultation_concluded(self) -> ConsultationConcluded:
        return ConsultationConcluded(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT - dt.timedelta(days=46),
            consultation_id=uuid.uuid4(),
            slip_id=self.slip_id,
            handler=self.handler,
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
            number=self.consultation_number,
        )

    def joint_review_concluded(self) -> JointReviewConcluded:
        return JointReviewConcluded(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT - dt.timedelta(days=5),
            joint_review_id=uuid.uuid4(),
            slip_id=self.slip_id,
            number=self.joint_review_number,
            decided_at_level="consensus",
            approved_by=["leader_in_charge"],
        )

    def decided(self) -> DecisionMade:
        return DecisionMade(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT,
            decision_id=uuid.uuid4(),
            number=self.decision_number,
            matter_number=self.number,
            decided_by="standing_committee_meeting",
            decided_on=DECIDED_ON,
            announced_on=None,
            simplified_procedure=False,
            measures=[DecidedMeasure(target=PERSON, measures=self.measures)],
            citations=["昆纪办发〔2019〕19号 附件6 第二条"],
        )

    def execution_opened(self) -> ExecutionOpened:
        return ExecutionOpened(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=AT + dt.timedelta(days=1),
            execution_id=uuid.uuid4(),
            decision_id=uuid.uuid4(),
            decision_number=self.decision_number,
            matter_number=self.number,
            target=PERSON,
            measure=self.measures[0],
            office=self.handler,
            steps=["talk", "consult_organisation_department", "send_recommendation_letter"],
            citations=["昆纪办发〔2019〕19号 附件6 第四条"],
        )

    def deadline_due(self, office: str | None = None) -> DeadlineDue:
        return DeadlineDue(
            tenant="kunshan",
            matter_id=self.matter_id,
            occurred_at=dt.datetime(2026, 10, 8, 1, 0, tzinfo=dt.UTC),
            deadline_id=uuid.uuid4(),
            execution_id=None,
            matter_number=self.number,
            office=office or self.handler,
            duty="copy_decision",
            label="将问责决定等材料抄送党风政风监督室",
            due_on=dt.date(2026, 10, 10),
            citations=["昆纪办发〔2019〕19号 二.3"],
        )

    def story(self) -> list:
        """Everything up to the decision, in the order the services publish it."""
        return [self.received(), self.accepted(), self.consultation_requested(), self.routed(), self.decided()]


def integrator(client_for: ClientFor, api: ServiceProcess, name: str, realm: str = "wenze-kunshan") -> httpx.Client:
    """An integrator's service account: no office, ``matter:submit``."""
    return client_for(
        api,
        realm,
        None,
        roles=["matter:submit"],
        claims={"preferred_username": f"service-account-{name}", "office": None},
    )


async def publish(nats_url: str, *events: Event, msg_id: str | None = None) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for event in events:
            await ensure_stream(js, stream_for(type(event).service))
            await js.publish(
                event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or str(event.event_id)}
            )
    finally:
        await nc.close()


def publish_now(nats_url: str, *events: Event) -> None:
    asyncio.run(publish(nats_url, *events))


def publish_with_id(nats_url: str, event: Event, msg_id: str) -> None:
    asyncio.run(publish(nats_url, event, msg_id=msg_id))


def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """``check()``'s first truthy answer within ``timeout`` seconds; its last failure otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
            failure: BaseException | None = AssertionError(f"still {result!r}")
        except AssertionError as exc:
            failure = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s") from failure
        time.sleep(interval)


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(secret.encode(), headers["wenze-timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["wenze-signature"], f"v1={expected}")
