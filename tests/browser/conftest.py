"""Pages in a real browser: headless Chromium (Debian's `chromium`, the system executable) driven by
Playwright for Python, against the real handlers behind a local HTTP server on moto.

Chromium is the system one (`/usr/bin/chromium`, or WINBACK_CHROMIUM), launched with a new empty
user-data-dir and the flags below; Playwright's own browser download is never used. axe-core comes
bundled in the pinned `axe-playwright-python` package (installed with the dev extras), injected into
each page: nothing is fetched at test time.

Without Chromium or Playwright the tests skip with a loud reason, except in CI (CI=true), where they
fail: CI must run them (`.ci/run` installs Chromium first; `make test` installs it when it can).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.helpers import fake_aws_env
from winback.adapters.sending_switch import SendingSwitch
from winback.runtime.deps import reset
from winback.services.sending_switch import turn_sending_on
from winback_dev.local_http import serve_http_api
from winback_dev.runner import LocalRunner
from winback_dev.stack import StackResources, provision

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route, ViewportSize

CHROMIUM = Path(os.environ.get("WINBACK_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# An iPhone SE's CSS viewport: the narrowest phone we design for.
PHONE: ViewportSize = {"width": 375, "height": 667}
SHOTS = Path(__file__).resolve().parents[2] / "test-out" / "browser"


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (the dev extras: `make test` installs them)"
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "axe-playwright-python (which bundles axe-core) is not installed (the dev extras)"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (Debian's chromium: `make browser` installs it as root)"
    return None


@pytest.fixture(scope="package")
def browser_ready() -> None:
    missing = _missing()
    if missing is None:
        return
    message = f"BROWSER TESTS NOT RUN: {missing}"
    if os.environ.get("CI"):
        pytest.fail(message + " - CI must run them", pytrace=False)
    pytest.skip(message)


@dataclass
class Site:
    """The stack on moto, and the HTTP API of its real handlers on a local port."""

    base_url: str
    resources: StackResources
    unsubscribe_key: bytes
    runner: LocalRunner

    def table(self, logical_id: str) -> str:
        return self.resources.physical[logical_id]


@pytest.fixture(scope="package")
def site(browser_ready: None) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_env(mp)
        mp.delenv("WINBACK_PROGRAM_PATH", raising=False)
        with mock_aws():
            reset()
            resources = provision()
            for var, value in resources.env().items():
                mp.setenv(var, value)
            secrets = boto3.client("secretsmanager")
            webhook = secrets.get_secret_value(SecretId=resources.physical["WebhookSecret"])["SecretString"]
            key = secrets.get_secret_value(SecretId=resources.physical["UnsubscribeSecret"])["SecretString"]
            runner = LocalRunner(resources, webhook)
            # A new stack starts with sending off; the tests turn it on as `winback enable-sending` does.
            turn_sending_on(SendingSwitch(resources.physical["MessagingTable"]), datetime.now(UTC), "tests")
            with serve_http_api(runner) as base_url:
                mp.setenv("PUBLIC_BASE_URL", base_url)
                reset()
                yield Site(base_url, resources, key.encode(), runner)
            reset()


@pytest.fixture(scope="package")
def browser(browser_ready: None) -> Iterator[BrowserContext]:
    """Chromium with a new empty user-data-dir, for the whole session (a launch costs a second or two)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="winback-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS, viewport=PHONE
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class Visit:
    """A browser tab whose every request is recorded; any to another host than ours is aborted."""

    page: Page
    requests: list[str]
    external: list[str]


@pytest.fixture
def visit(browser: BrowserContext, site: Site) -> Iterator[Visit]:
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    ours = site.base_url.removeprefix("http://")
    seen = Visit(page, [], [])

    def record(route: Route, request: Any) -> None:
        seen.requests.append(request.url)
        if request.url.split("/")[2] == ours:
            route.continue_()
        else:
            seen.external.append(request.url)
            route.abort()

    page.route("**/*", record)
    try:
        yield seen
    finally:
        page.close()
