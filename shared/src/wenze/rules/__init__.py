"""Tenant rule packs: documents, citations, decision tables and their evaluation.

Packs are data under ``shared/rulesets/<tenant>/`` (see ``docs/rules-authoring.md``). The
services use only this module's functions and the pack's methods::

    pack = get_pack("kunshan")
    pack.intake_sources(on=date(2026, 4, 30))
    pack.number("consultation", 2026, 7, on=date(2026, 4, 30))
    pack.evaluate("routing", facts, on=date(2026, 4, 30)).explanation
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from wenze.rules.errors import (
    ConflictError,
    DeadlineUncomputableError,
    FactError,
    NoMatchError,
    NoRuleTextLoadedError,
    OutOfPeriodError,
    PackError,
    RulesError,
    UnknownDecisionError,
    UnknownTenantError,
)
from wenze.rules.models import (
    Citation,
    DecisionInfo,
    DocumentInfo,
    Evaluation,
    FiredRule,
    IntakeSource,
    LintIssue,
    ProcedureChoice,
)
from wenze.rules.pack import RulePack

ENV_RULESETS_DIR = "WENZE_RULESETS_DIR"

__all__ = [
    "Citation",
    "ConflictError",
    "DeadlineUncomputableError",
    "DecisionInfo",
    "DocumentInfo",
    "Evaluation",
    "FactError",
    "FiredRule",
    "IntakeSource",
    "LintIssue",
    "NoMatchError",
    "NoRuleTextLoadedError",
    "OutOfPeriodError",
    "PackError",
    "ProcedureChoice",
    "RulePack",
    "RulesError",
    "UnknownDecisionError",
    "UnknownTenantError",
    "clear_cache",
    "get_pack",
    "lint_pack",
    "list_tenants",
    "load_pack",
    "rulesets_dir",
]


# shared/src/wenze/rules/__init__.py → shared/rulesets; resolved once, since every request
# that reads a pack asks for it.
_BUNDLED_RULESETS = Path(__file__).resolve().parents[3] / "rulesets"


def rulesets_dir() -> Path:
    """``WENZE_RULESETS_DIR`` if set, else ``shared/rulesets`` next to the editable sources."""
    configured = os.environ.get(ENV_RULESETS_DIR)
    if configured:
        return Path(configured)
    return _BUNDLED_RULESETS


def list_tenants() -> list[str]:
    base = rulesets_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "pack.yaml").is_file())


def load_pack(tenant: str, *, strict: bool = True) -> RulePack:
    """Load a pack afresh. ``strict`` refuses a pack with lint errors."""
    directory = rulesets_dir() / tenant
    if not (directory / "pack.yaml").is_file():
        raise UnknownTenantError(f"no rule pack for tenant {tenant!r}; packs exist for {list_tenants()}", tenant=tenant)
    pack = RulePack(directory)
    if strict and pack.issues:
        shown = "; ".join(str(i) for i in pack.issues[:5])
        more = f" (and {len(pack.issues) - 5} more)" if len(pack.issues) > 5 else ""
        raise PackError(
            f"rule pack {tenant!r} is invalid: {shown}{more}",
            tenant=tenant,
            issues=[i.model_dump() for i in pack.issues],
        )
    return pack


@cache
def _cached(tenant: str, base: str) -> RulePack:
    return load_pack(tenant)


def get_pack(tenant: str) -> RulePack:
    """The tenant's pack, loaded and validated once per process (per rulesets directory)."""
    return _cached(tenant, str(rulesets_dir()))


def lint_pack(tenant: str) -> list[LintIssue]:
    """Every schema, citation, period and vocabulary problem in the tenant's pack, every
    reading of an interpretation point that no case of the pack exercises, and every text the
    console shows that is not written in Chinese."""
    from wenze.rules.cases import unexercised_readings  # the cases module reads packs through this one
    from wenze.rules.words import untranslated_texts

    pack = load_pack(tenant, strict=False)
    if pack.issues:
        # The words of a pack that does not load are read once it does.
        return pack.issues + unexercised_readings(tenant, pack)
    return unexercised_readings(tenant, pack) + untranslated_texts(pack)


def clear_cache() -> None:
    _cached.cache_clear()
