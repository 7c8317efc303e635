"""The intake service's problem types; each keeps one stable ``type`` URI."""

from __future__ import annotations

from wenze.problems import BadRequest, Conflict, NotFound, PayloadTooLarge, ValidationFailed


class MatterNotFound(NotFound):
    slug = "matter-not-found"
    title = "Matter not found"


class DuplicateMatter(Conflict):
    slug = "duplicate-matter"
    title = "Matter already registered"


class NotAwaitingAcceptance(Conflict):
    slug = "matter-not-awaiting-acceptance"
    title = "Matter is not awaiting acceptance"


class ImportJobNotFound(NotFound):
    slug = "import-job-not-found"
    title = "Import job not found"


class ImportNotCompleted(Conflict):
    slug = "import-not-completed"
    title = "Import job has not completed"


class UnsupportedImportFormat(BadRequest):
    status = 415
    slug = "unsupported-import-format"
    title = "Unsupported import format"


class ImportBeyondLimits(PayloadTooLarge):
    slug = "import-beyond-limits"
    title = "Import file beyond the import limits"


class ImportFileNotReadable(ValidationFailed):
    slug = "import-file-unreadable"
    title = "Import file cannot be read"
