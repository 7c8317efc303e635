"""The service objects, wired once per process (api or worker)."""

from __future__ import annotations

from dataclasses import dataclass

from wenze_review.cases.service import CaseService
from wenze_review.deliberations.service import DeliberationService
from wenze_review.work.service import WorkService


@dataclass
class Services:
    deliberations: DeliberationService
    cases: CaseService
    work: WorkService


def build_services(uow) -> Services:
    deliberations = DeliberationService(uow)
    return Services(deliberations=deliberations, cases=CaseService(uow, deliberations), work=WorkService(uow))
