"""Imported once by the server process that import jobs are forked from (:mod:`.runner`):
loading the modules and the rule packs here is what lets each job start without doing it."""

from wenze.rules import get_pack
from wenze_intake.config import IntakeSettings
from wenze_intake.imports import job_process as job_process

for _tenant in IntakeSettings().tenants:
    get_pack(_tenant)
