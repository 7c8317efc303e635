"""Fixtures every suite shares, and how `make test` splits the suites between its two worker
processes (pytest-xdist, ``--dist loadgroup``)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["wenze_devtools.testing.pytest_plugin", "wenze_devtools.testing.stack_plugin"]

END_TO_END = "e2e-tests"


def suite_of(path: Path, root: Path) -> str:
    """The tests that share started processes: a service's integration suite (its package
    fixtures), a unit suite, or all the end-to-end tests (one stack of services)."""
    parts = path.relative_to(root).parts
    if parts[0] == END_TO_END:
        return END_TO_END
    for depth, part in enumerate(parts[:-1]):
        if part in ("integration", "unit"):
            return "/".join(parts[: depth + 1])
    return "/".join(parts[:-1])


# First: xdist's own hook turns the groups into the ids its scheduler splits the work by.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Only in an xdist worker: a run in one process keeps the order of `testpaths`.
    if not hasattr(config, "workerinput"):
        return
    root = config.rootpath
    for item in items:
        item.add_marker(pytest.mark.xdist_group(suite_of(item.path, root)))
    # The longest suite first, so the other worker runs the rest meanwhile instead of idling
    # while the end-to-end tests finish last.
    items.sort(key=lambda item: suite_of(item.path, root) != END_TO_END)
