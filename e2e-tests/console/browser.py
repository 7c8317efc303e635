"""Steps a commission's staff take in the console, as a browser takes them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

    def register(
        self, username: str, matter: dict[str, str], target: dict[str, str], *, number_prefix: str, screenshot: str = ""
    ) -> str:
        """``username`` registers ``matter`` (source, source_reference, summary, facts and, where
        given, proposed_form) against a person ``target`` from the intake form; with ``screenshot``,
        the filled form is taken before it is sent. The matter's number."""
        self.sign_in(username)
        page = self.page
        page.goto(self.url("/intake"))
        form = page.locator("form.intake-form")
        form.locator("select[name=source]").select_option(matter["source"])
        form.locator("input[name=source_reference]").fill(matter["source_reference"])
        form.locator("input[name=summary]").fill(matter["summary"])
        form.locator("textarea[name=facts]").fill(matter["facts"])
        form.locator("select[name=target_kind]").select_option(target["kind"])
        form.locator("input[name=target_name]").fill(target["name"])
        form.locator("input[name=target_post]").fill(target["post"])
        form.locator("input[name=target_unit]").fill(target["unit"])
        form.locator("select[name=target_cadre_level]").select_option(target["cadre_level"])
        form.locator("select[name=target_sector]").select_option(target["sector"])
        if "proposed_form" in matter:
            form.locator("select[name=proposed_form]").select_option(matter["proposed_form"])
        if screenshot:
            self.screenshot(screenshot)
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(rf".*/matters/{number_prefix}-\d{{4}}-\d{{5}}$"))
        expect(page.locator("h1 .state")).to_have_text("已登记")
        return page.url.rsplit("/", 1)[1]

    def accept(self, participants: str) -> None:
        """Records on the open matter's page that the matter, studied by ``participants``, is accepted."""
        acceptance = self.page.locator("#acceptance form")
        acceptance.locator("input[name=participants]").fill(participants)
        acceptance.locator("button[type=submit]").click()
        expect(self.page.locator("h1 .state")).to_have_text("已受理")

    def take(self, username: str, number: str, heading: str, fill: Callable[[Any], Any] | None = None) -> None:
        """``username`` waits for the task ``heading`` on the matter, fills its form and sends it:
        it is not refused."""
        self.sign_in(username)
        self.wait_for_task(number, heading)
        if fill is not None:
            fill(self.step_form(heading))
        self.submit(heading)
        expect(self.page.locator(".refused")).to_have_count(0)

    def expect_not_found(self, path: str, hidden: str) -> None:
        """The page at ``path`` is not found for the signed-in user and shows nothing of ``hidden``."""
        response = self.page.goto(self.url(path))
        assert response is not None and response.status == 404, path
        expect(self.page.locator("body")).not_to_contain_text(hidden)

    def expect_sign_in_asked(self, path: str) -> None:
        """Signed in to another tenant only, this tenant's page asks for this tenant's login."""
        response = self.page.goto(self.url(path))
        assert response is not None
        assert f"/realms/wenze-{self.tenant}/" in self.page.url, (
            f"the {self.tenant} page asks for a {self.tenant} login"
        )

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
