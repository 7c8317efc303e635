"""The console on the running stack, and Debian's Chromium driven by Playwright (never a browser
Playwright downloads itself)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from wenze_devtools.testing.infra import ServiceProcess, fresh_database, migrate

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def reporting(stack: dict[str, ServiceProcess], service_factory, database_url: str) -> ServiceProcess:
    """Reporting with its worker: the matter page reads a matter's progress from it."""
    migrate(database_url, "reporting")
    service_factory("reporting", "worker", wait=False)
    return service_factory("reporting")


def _console_over(service_factory, stack: dict[str, ServiceProcess], reporting: ServiceProcess) -> ServiceProcess:  # type: ignore[no-untyped-def]
    return service_factory(
        "console",
        intake_url=stack["intake"].url,
        routing_url=stack["routing"].url,
        review_url=stack["review"].url,
        execution_url=stack["sanction-execution"].url,
        reporting_url=reporting.url,
    )


@pytest.fixture(scope="package")
def console(stack: dict[str, ServiceProcess], reporting: ServiceProcess, service_factory) -> ServiceProcess:
    return _console_over(service_factory, stack, reporting)


@pytest.fixture(scope="package")
def console_before_progress(stack: dict[str, ServiceProcess], service_factory) -> Iterator[ServiceProcess]:
    """A console whose reporting has not received any event yet (an empty database and no
    worker): what a page shows while a matter's events are still on their way to reporting."""
    # Playwright's sync API runs an event loop in this thread, where fresh_database's
    # asyncio.run may not: the database is made and dropped from a thread of its own.
    database = fresh_database()
    with ThreadPoolExecutor(max_workers=1) as thread:
        empty = thread.submit(database.__enter__).result()
        try:
            migrate(empty, "reporting")
            lagging = service_factory("reporting", database=empty)
            yield _console_over(service_factory, stack, lagging)
        finally:
            thread.submit(database.__exit__, None, None, None).result()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One browser per test module, closed at its end: Playwright's synchronous API runs an
    event loop in this thread while it is open, and every later fixture that runs a coroutine
    of its own (a fresh database, say) would be refused for the rest of the session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            viewport={"width": 1360, "height": 900},
        )
        context.set_default_timeout(60_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    browser_context.clear_cookies()
    page = browser_context.new_page()
    yield page
    page.close()
