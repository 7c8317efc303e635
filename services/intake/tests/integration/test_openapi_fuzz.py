"""Schemathesis over intake's own OpenAPI: generated requests never get a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def intake_schema(intake):
    return schemathesis.openapi.from_url(f"{intake.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("intake_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_no_server_errors(case, intake, token) -> None:
    headers = {"Authorization": f"Bearer {token('wenze-kunshan', 'ks-intake')}"}
    response = case.call(base_url=intake.url, headers=headers)
    case.validate_response(response, checks=(not_a_server_error,))
