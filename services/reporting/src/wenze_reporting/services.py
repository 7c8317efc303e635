"""The service objects, wired once per process (api, worker or rebuild)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wenze.rules import RulePack, get_pack
from wenze_reporting.ledger.service import LedgerService
from wenze_reporting.library.service import LibraryService
from wenze_reporting.progress.service import ProgressService
from wenze_reporting.reports.service import ReportService
from wenze_reporting.repositories import ReportingUnitOfWorkFactory


@dataclass
class Services:
    ledger: LedgerService
    reports: ReportService
    library: LibraryService
    progress: ProgressService


def build_services(uow: ReportingUnitOfWorkFactory, *, packs: Callable[[str], RulePack] = get_pack) -> Services:
    reports = ReportService(uow, packs=packs)
    return Services(
        ledger=LedgerService(uow, packs=packs),
        reports=reports,
        library=LibraryService(uow, reports, packs=packs),
        progress=ProgressService(uow, reports, packs=packs),
    )
