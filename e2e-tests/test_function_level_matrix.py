"""Broken function-level authorisation: every state-changing route of intake, routing and review,
called by every role, succeeds past the capability check only for the role it is meant for.

The routes come from each service's ``/openapi.json``; each must be listed in ``INTENDED`` with
the capability it is meant to need, so a route added later fails here until someone decides who
may call it. The roles are: a Kunshan user holding every capability but one (one such user per
capability), an integrator's service account, a platform operator, and a caller with no token.

Each request names objects that do not exist and sends an empty body: the capability check comes
first, so a role without the capability must get ``403 missing-capability`` (or, for the platform
operator and the integrator, the refusal of their kind of caller); a role with it must get past
that check (here, to a 404 or 422 about the object or the body, or a 2xx where the route names no
object, such as an upload). A 2xx would mean a write without
an object by a role that lacks the capability, a 5xx a bug; both fail the test.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter

import httpx
import pytest

from wenze.auth.capabilities import (
    APPROVAL_SIGN,
    CALENDAR_ADMIN,
    CAPABILITIES,
    CONSULTATION_SIGN,
    DECISION_MAKE,
    MATTER_ACCEPT,
    MATTER_BULK,
    MATTER_READ,
    MATTER_SUBMIT,
    REVIEW_SIGN,
    ROUTING_OVERRIDE,
    RULES_ADMIN,
)
from wenze.keycloak.realms import INTEGRATOR_CAPABILITIES, INTEGRATOR_CLIENT
from wenze_devtools.testing.issuer.realms import DEFAULT_INTEGRATOR_SECRET

pytestmark = pytest.mark.integration

REALM = "wenze-kunshan"
USER = "ks-intake"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
PLATFORM = "platform operator"
ANY_TENANT_USER = "any user of the tenant"

# Who each state-changing route is meant for: the capability a tenant's user needs, PLATFORM
# for the platform operators' routes, or ANY_TENANT_USER for those that change nothing stored.
INTENDED: dict[tuple[str, str, str], str] = {
    ("intake", "POST", "/v1/matters"): MATTER_SUBMIT,
    ("intake", "POST", "/v1/matters/{matter_id}/acceptance"): MATTER_ACCEPT,
    ("intake", "POST", "/v1/matter-imports"): MATTER_BULK,
    ("intake", "POST", "/v1/matter-imports/{job_id}/acceptance"): MATTER_ACCEPT,
    ("intake", "POST", "/v1/attachments"): MATTER_SUBMIT,
    ("routing", "POST", "/v1/slips/{slip_id}/override"): ROUTING_OVERRIDE,
    # Evaluating a decision table with the caller's facts stores nothing: the rules are the tenant's law.
    ("routing", "POST", "/v1/rules/decisions/{name}/evaluate"): ANY_TENANT_USER,
    ("routing", "PUT", "/v1/calendar/years/{year}"): PLATFORM,
    ("routing", "PUT", "/v1/calendar/local-days/{year}"): CALENDAR_ADMIN,
    ("routing", "POST", "/v1/rules/points/{point}/choices"): RULES_ADMIN,
    ("review", "POST", "/v1/consultations/{deliberation_id}/signatures"): CONSULTATION_SIGN,
    ("review", "POST", "/v1/consultations/{deliberation_id}/approvals"): APPROVAL_SIGN,
    ("review", "POST", "/v1/consultations/{deliberation_id}/escalations"): APPROVAL_SIGN,
    ("review", "POST", "/v1/joint-reviews/{deliberation_id}/signatures"): REVIEW_SIGN,
    ("review", "POST", "/v1/joint-reviews/{deliberation_id}/approvals"): APPROVAL_SIGN,
    ("review", "POST", "/v1/joint-reviews/{deliberation_id}/escalations"): APPROVAL_SIGN,
    ("review", "POST", "/v1/cases/{case_id}/approvals"): APPROVAL_SIGN,
    # The handling office's own steps: no capability of their own, the office, authority and
    # linked-unit checks of wenze.auth.access decide (docs/access.md).
    ("review", "POST", "/v1/investigations/{investigation_id}/findings"): MATTER_READ,
    ("review", "POST", "/v1/cases/{case_id}/recommendations"): MATTER_READ,
    ("review", "POST", "/v1/cases/{case_id}/hearings"): MATTER_READ,
    ("review", "POST", "/v1/cases/{case_id}/decision"): DECISION_MAKE,
    ("review", "POST", "/v1/cases/{case_id}/decision/copies"): DECISION_MAKE,
    ("review", "POST", "/v1/tasks/{task_id}/claim"): MATTER_READ,
    ("review", "POST", "/v1/tasks/{task_id}/reassign"): MATTER_READ,
}


def state_changing_routes(stack) -> list[tuple[str, str, str]]:
    found = []
    for service in ("intake", "routing", "review"):
        document = httpx.get(f"{stack[service].url}/openapi.json", timeout=30).raise_for_status().json()
        for path, operations in document["paths"].items():
            found += [(service, method.upper(), path) for method in operations if method.upper() in STATE_CHANGING]
    return found


def concrete(path: str) -> str:
    """The path with every parameter filled by something that names no object."""
    return re.sub(r"{(\w+)}", lambda m: "2031" if m.group(1) == "year" else str(uuid.uuid4()), path)


def problem_type(response: httpx.Response) -> str:
    try:
        return str(response.json().get("type", ""))
    except ValueError:
        return ""


def integrator_token(issuer_url: str) -> str:
    """A service account's token, obtained as an integrator does: client credentials."""
    response = httpx.post(
        f"{issuer_url}/realms/{REALM}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(INTEGRATOR_CLIENT, DEFAULT_INTEGRATOR_SECRET),
        timeout=30,
    )
    return str(response.raise_for_status().json()["access_token"])


def test_only_the_intended_role_gets_past_the_capability_check(stack, tenant_for, issuer_url) -> None:
    operations = state_changing_routes(stack)
    served = set(operations)
    assert not (served - set(INTENDED)), f"routes with no intended role: {sorted(served - set(INTENDED))}"
    assert not (set(INTENDED) - served), f"listed routes no longer served: {sorted(set(INTENDED) - served)}"

    ks = tenant_for(REALM)
    every_capability = sorted(CAPABILITIES)
    lacking = {cap: ks.user_with_roles(USER, [c for c in every_capability if c != cap]) for cap in every_capability}
    integrator = ks._clients("integrator", integrator_token(issuer_url))
    operator = tenant_for("wenze-platform").user_with_roles("platform-ops", every_capability)
    anonymous = {service: httpx.Client(base_url=process.url, timeout=60) for service, process in stack.items()}

    outcomes: Counter[str] = Counter()
    wrong: list[str] = []

    def expect(who: str, response: httpx.Response, *, passes: bool, refusal: str) -> None:
        kind = problem_type(response)
        outcomes[f"{response.status_code} {kind.rsplit('/', 1)[-1]}"] += 1
        if response.status_code >= 500 or (not passes and response.status_code < 300):
            wrong.append(f"{who}: {response.status_code} {response.text[:200]}")
        elif passes and kind.endswith(refusal):
            wrong.append(f"{who}: refused although it holds the capability: {response.text[:200]}")
        elif not passes and not (response.status_code in (401, 403) and kind.endswith(refusal)):
            wrong.append(f"{who}: {response.status_code} {kind}, expected {refusal}")

    for service, method, path in operations:
        intended = INTENDED[(service, method, path)]
        url = concrete(path)
        route = f"{method} {service}{path}"
        for cap, user in lacking.items():
            response = user.clients[service].request(method, url, json={})
            if intended == PLATFORM:
                expect(f"{route} by a tenant user", response, passes=False, refusal="platform-operator-required")
                break
            passes = intended == ANY_TENANT_USER or cap != intended
            expect(f"{route} without {cap}", response, passes=passes, refusal="missing-capability")
        response = operator.clients[service].request(method, url, json={})
        expect(f"{route} by a platform operator", response, passes=intended == PLATFORM,
               refusal="tenant-user-required")  # fmt: skip
        if intended != PLATFORM:
            response = integrator.clients[service].request(method, url, json={})
            may = intended in (ANY_TENANT_USER, *INTEGRATOR_CAPABILITIES)
            expect(f"{route} by an integrator", response, passes=may, refusal="missing-capability")
        response = anonymous[service].request(method, url, json={})
        expect(f"{route} with no token", response, passes=False, refusal="unauthenticated")

    for client in anonymous.values():
        client.close()
    tried = outcomes.total()
    print(f"\nfunction-level matrix: {len(operations)} routes, {tried} requests: {dict(outcomes)}")
    assert not wrong, f"{len(wrong)} of {tried} requests wrong:\n" + "\n".join(wrong)
