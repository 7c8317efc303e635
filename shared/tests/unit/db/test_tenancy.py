"""Tenant scopes: who may ask for which, and what ``wenze.tenant`` each sets."""

from __future__ import annotations

import asyncio

import pytest

from wenze.db.tenancy import (
    ALL_TENANTS,
    ScopeRefused,
    bind_request_tenant,
    current_scope,
    current_tenant,
    request_scope,
    system_scope,
    tenant_scope,
)


def test_no_scope_sets_an_empty_tenant_which_matches_no_row() -> None:
    assert current_scope().setting == ""
    assert current_tenant() is None


def test_a_tenant_scope_sets_its_tenant_and_ends_with_its_block() -> None:
    with tenant_scope("kunshan") as scope:
        assert (scope.setting, current_tenant()) == ("kunshan", "kunshan")
    assert current_tenant() is None


def test_system_scope_is_named_and_reaches_every_tenant() -> None:
    with system_scope("outbox relay") as scope:
        assert scope.setting == ALL_TENANTS
        assert scope.describe() == "system scope (outbox relay)"
    with pytest.raises(ScopeRefused, match="by name"):
        with system_scope("  "):
            pass


def test_system_scope_is_refused_in_a_tenants_scope_and_the_reverse() -> None:
    with tenant_scope("kunshan"), pytest.raises(ScopeRefused, match="refused in tenant kunshan"):
        with system_scope("import job runner"):
            pass
    with system_scope("import job runner"), pytest.raises(ScopeRefused, match="inside system scope"):
        with tenant_scope("kunshan"):
            pass


def test_an_http_request_never_reaches_system_scope_before_or_after_authentication() -> None:
    with request_scope():
        with pytest.raises(ScopeRefused):
            with system_scope("outbox relay"):
                pass
        bind_request_tenant("jintan")
        assert current_tenant() == "jintan"
        with pytest.raises(ScopeRefused):
            with system_scope("outbox relay"):
                pass
        # The request acts for its principal's tenant and no other.
        with tenant_scope("jintan"):
            pass
        with pytest.raises(ScopeRefused, match="another tenant"):
            with tenant_scope("kunshan"):
                pass
    assert current_scope().in_request is False and current_tenant() is None


@pytest.mark.parametrize("name", ["", "*", "Kunshan", "kun shan", "kunshan.>", "k" * 41, "1kunshan"])
def test_only_tenant_names_make_a_scope(name: str) -> None:
    with pytest.raises(ScopeRefused, match="not a tenant name"):
        with tenant_scope(name):
            pass


async def test_tasks_started_in_a_scope_keep_it() -> None:
    async def seen() -> str | None:
        await asyncio.sleep(0)
        return current_tenant()

    with tenant_scope("hubei"):
        task = asyncio.create_task(seen())
    assert await task == "hubei"
