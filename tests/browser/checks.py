"""What every page is checked for in the browser: no request to another host, no horizontal scrolling
on a phone, every control reachable with the Tab key, no axe-core violation of the rules enabled, and a
screenshot under test-out/browser/ for a person to look at."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import SHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import Visit

# WCAG 2.2 A and AA, and axe's best practices (landmarks, one h1, heading order...).
PAGE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# An email is a fragment a mail client frames: WCAG, without the page-level best practices.
EMAIL_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"


def axe_script() -> str:
    from axe_playwright_python.base import AXE_FILE_PATH

    script: str = AXE_FILE_PATH.read_text(encoding="utf-8")
    return script


def assert_accessible(page: Page, tags: list[str] = PAGE_RULES) -> None:
    """axe-core, injected into the page, finds no violation of the rules tagged `tags`."""
    page.evaluate(axe_script())
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
    results: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
    ]
    assert problems == [], "\n".join(problems)


def assert_fits_phone(page: Page) -> None:
    """Nothing wider than the phone's viewport: no horizontal scrolling."""
    widths: dict[str, int] = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], widths


def assert_keyboard_reaches_every_control(page: Page) -> None:
    """Tab from the top of the page focuses each control in turn, in document order; a radio group is
    one Tab stop whose radios the arrow keys reach, as browsers do it (a page without controls, such as
    a confirmation, passes)."""
    controls: list[dict[str, str]] = page.evaluate(
        f"() => [...document.querySelectorAll({CONTROLS!r})].map(c => ({{type: c.type || '', name: c.name || ''}}))"
    )
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    focused = f"() => [...document.querySelectorAll({CONTROLS!r})].indexOf(document.activeElement)"
    reached: list[int] = []
    while len(reached) < len(controls):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(focused))
        group = controls[reached[-1]] if reached[-1] >= 0 else {}
        while group.get("type") == "radio" and reached[-1] + 1 < len(controls) and controls[reached[-1] + 1] == group:
            page.keyboard.press("ArrowDown")
            reached.append(page.evaluate(focused))
    assert reached == list(range(len(controls))), reached


def assert_labelled(page: Page) -> None:
    """Every visible input has a label a screen reader reads out (axe checks this too, by rule)."""
    unlabelled: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden])')]
              .filter(i => !(i.labels && i.labels.length && i.labels[0].textContent.trim()))
              .map(i => i.outerHTML)"""
    )
    assert unlabelled == []


def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"), full_page=True)


def check_page(visit: Visit, name: str, tags: list[str] = PAGE_RULES) -> None:
    """The screenshot, then every check of this module."""
    page = visit.page
    screenshot(page, name)  # first: the keyboard walk below focuses controls and ticks radios
    assert_fits_phone(page)
    assert_labelled(page)
    assert_keyboard_reaches_every_control(page)
    assert_accessible(page, tags)
    assert visit.external == [], visit.external
