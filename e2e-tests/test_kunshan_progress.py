"""Where a Kunshan matter is, read from reporting alone while the real services carry it from
intake through a consultation, the review, the joint review, the approvals and the hearing to the
decision and its execution: each stage as it is reached, the offices holding it, and a timeline
from every service; an office not party to the matter and another tenant find nothing."""

from __future__ import annotations

from typing import Any

import pytest

from wenze_devtools.testing.infra import ServiceProcess, migrate

from .conftest import Tenant, wait_for
from .kunshan import CITY_CADRE, agree_consultation, consultation_path, review_to_decision

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def with_reporting(stack, service_factory, database_url: str) -> dict[str, ServiceProcess]:
    migrate(database_url, "reporting")
    service_factory("reporting", "worker", wait=False)
    return {**stack, "reporting": service_factory("reporting")}


def progress_at(
    ks: Tenant, matter_id: str, stage: str, reader: str = "ks-intake", *, after: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The matter's progress once reporting shows it in ``stage``, knows its number and has seen
    the events ``after`` names: the streams are consumed side by side, so a routing event may
    come before the matter's receipt, and review's step after routing's event before it."""

    def fetch() -> dict[str, Any] | None:
        response = ks.user(reader).clients["reporting"].get(f"/v1/matters/{matter_id}/progress")
        if response.status_code != 200:
            return None
        body = response.json()
        # The receipt and the acceptance too: each service's stream reaches reporting on its own.
        seen = {entry["event"] for entry in body["timeline"]}
        known = body["number"] is not None and {"matter.received", "matter.accepted", *after} <= seen
        return body if body["stage"] == stage and known else None

    return wait_for(fetch, f"matter {matter_id} in stage {stage}")


def test_a_kunshan_matter_seen_at_each_stage_from_reporting(with_reporting, issuer_url: str, token, events) -> None:
    ks = Tenant("wenze-kunshan", issuer_url, with_reporting, token)
    made = events("review.kunshan.decision.made.v1")
    try:
        matter = ks.submit_and_accept(
            "ks-supervision-1", "ks-intake", source="city_government", targets=[CITY_CADRE], proposed_form="form_2"
        )
        # Routing's request names the offices holding the consultation; review's opening of it,
        # which also brings the stage, may reach reporting first.
        consultation = progress_at(ks, matter["id"], "consultation", after=("slip.consultation_requested",))
        assert consultation["number"] == matter["number"]
        assert "discipline_supervision_office" in [o["code"] for o in consultation["offices"]]
        stages = [e["stage"] for e in consultation["timeline"] if e["stage"]]
        assert stages[:2] == ["received", "accepted"]

        slip = ks.slips(matter["id"], "ks-intake")[0]
        agree_consultation(ks, consultation_path(ks, matter["id"]))
        slip = ks.wait_routed(slip["id"], "ks-intake")
        routed_or_later = wait_for(
            lambda: (
                body
                if (body := ks.user("ks-intake").get("reporting", f"/v1/matters/{matter['id']}/progress"))["stage"]
                not in ("received", "accepted", "consultation")
                else None
            ),
            "the matter past its consultation",
        )
        assert routed_or_later["stage"] in ("routed", "start_approval", "investigating")

        decision = review_to_decision(ks, made, matter["id"], slip)

        earlier_stages = {"received", "accepted", "consultation", "routed", "recommendation", "joint_review"}
        earlier_stages |= {"hearing", "approvals"}

        def decided_seen() -> dict[str, Any] | None:
            # Reporting reads each event contract through a consumer of its own, with no order
            # between them: wait for the decision and for every stage before it.
            body = ks.user("ks-intake").get("reporting", f"/v1/matters/{matter['id']}/progress")
            made_seen = any(e["event"] == "decision.made" for e in body["timeline"])
            all_seen = earlier_stages <= {e["stage"] for e in body["timeline"]}
            return body if made_seen and all_seen and body["stage"] in ("decided", "execution") else None

        decided = wait_for(decided_seen, "the decision in reporting")
        timeline = decided["timeline"]
        seen = [e["stage"] for e in timeline if e["stage"]]
        # Every stage the matter went through, in order, from four services.
        for stage in ("received", "accepted", "consultation", "routed", "recommendation", "joint_review"):
            assert stage in seen, (stage, seen)
        assert seen.index("consultation") < seen.index("routed") < seen.index("joint_review")
        assert "hearing" in seen and "approvals" in seen and seen.index("joint_review") < seen.index("approvals")
        assert {e["service"] for e in timeline} >= {"intake", "routing", "review"}
        made_entry = next(e for e in timeline if e["event"] == "decision.made")
        assert decision["number"] in made_entry["label"] and made_entry["citations"]
        assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)

        executing = progress_at(ks, matter["id"], "execution", reader="ks-supervision-1")
        assert [o["code"] for o in executing["offices"]] == ["discipline_supervision_office"]
        listed = ks.user("ks-supervision-1").get(
            "reporting", "/v1/matters/progress", office="discipline_supervision_office", stage="execution"
        )
        assert matter["id"] in [m["matter_id"] for m in listed["matters"]]

        # The town commission is not party to a city-managed cadre's matter; another tenant's
        # users do not know it exists.
        jintan = Tenant("wenze-jintan", issuer_url, with_reporting, token)
        for outsider in (ks.user("ks-town-bacheng"), jintan.user("jt-discipline-organ")):
            refused = outsider.clients["reporting"].get(f"/v1/matters/{matter['id']}/progress")
            assert refused.status_code == 404, refused.text
            assert refused.json()["type"].endswith("/matter-not-found")
        jintan.close()
    finally:
        ks.close()
