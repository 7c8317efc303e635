"""Steps a commission's staff take in the console, as a browser takes them."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from wenze.rules.words import english_in
from wenze_devtools.testing.infra import ServiceProcess

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
WAIT_SECONDS = 120.0


class Staff:
    """One browser page signed in as one demo user at a time."""

    def __init__(self, page: Page, console: ServiceProcess, tenant: str) -> None:
        self.page = page
        self.console = console
        self.tenant = tenant
        self.username: str | None = None

    def url(self, path: str) -> str:
        return f"{self.console.url}/t/{self.tenant}{path}"

    def sign_in(self, username: str) -> None:
        if self.username == username:
            return
        self.page.context.clear_cookies()
        self.page.goto(self.url("/work"))
        # The realm's login page (the issuer's here, Keycloak's in a deployment).
        self.page.fill("#username", username)
        self.page.fill("#password", "wenze")
        self.page.click("#kc-login")
        self.page.wait_for_url(re.compile(rf".*/t/{self.tenant}/work$"))
        self.username = username

    def open_matter(self, number: str) -> None:
        self.page.goto(self.url(f"/matters/{number}"))
        expect(self.page.locator("h1")).to_contain_text(number)

    def wait_for_task(self, number: str, heading: str) -> None:
        """Reload the matter until the office's task shows (workers move the matter on)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            self.open_matter(number)
            if self.page.locator("section.step h2", has_text=heading).count():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.username} never saw the task {heading} on {number}")
            time.sleep(0.5)

    def wait_for_stage(self, number: str, *stage_labels: str) -> None:
        """Reload the matter until reporting's progress shows it in one of ``stage_labels``
        (reporting reads every service's events asynchronously)."""
        stage_label = re.compile("|".join(map(re.escape, stage_labels)))
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            self.open_matter(number)
            if self.page.locator("#progress .stage", has_text=stage_label).count():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{number} never showed {stage_labels} to {self.username}")
            time.sleep(0.5)

    def wait_for_timeline_entry(self, number: str, text: str) -> None:
        """Reload the matter until its timeline holds ``text``: reporting reads each event
        contract through a consumer of its own, so a later stage may show before an earlier entry."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            self.open_matter(number)
            if self.page.locator("section.timeline li", has_text=text).count():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the timeline of {number} never showed {text} to {self.username}")
            time.sleep(0.5)

    def wait_for_execution(self, number: str) -> None:
        """Reload the matter until it shows an execution of its decision: sanction-execution
        opens it from review's decision event, asynchronously."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            self.open_matter(number)
            if self.page.locator("section.executions .execution").count():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{number} never showed an execution to {self.username}")
            time.sleep(0.5)

    def step_form(self, heading: str):  # type: ignore[no-untyped-def]
        return self.page.locator("section.step", has=self.page.locator("h2", has_text=heading)).first

    def submit(self, heading: str) -> None:
        self.step_form(heading).locator("button[type=submit]").click()
        self.page.wait_for_load_state()

    def expect_chinese(self, selector: str = "main") -> None:
        """What ``selector`` shows reads as Chinese: no English sentence from a pack or a page."""
        text = self.page.locator(selector).inner_text()
        assert english_in(text) is None, f"{selector} shows English: {english_in(text)!r}"

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
