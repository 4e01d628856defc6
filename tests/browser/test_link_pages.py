"""The unsubscribe and reason pages in Chromium, served by the real handlers: one-click unsubscribe by
the button (a click in English, the keyboard in Chinese), and each reason answered from its link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.checks import check_page
from tests.browser.conftest import Site, Visit
from tests.integration.helpers import dormant_profile, get_profile, suppression_item
from winback.adapters.reason_store import ReasonStore
from winback.domain.journey.reasons import ANSWERS, Answer
from winback.domain.links.reason_links import reason_urls
from winback.domain.links.tokens import sign_token

NOW = datetime.now(UTC)


@pytest.mark.parametrize(("locale", "by"), [("en", "click"), ("zh-CN", "keyboard")])
def test_one_click_unsubscribe_by_the_button(site: Site, visit: Visit, locale: str, by: str) -> None:
    user_id = f"unsub-{locale.lower()}"
    dormant_profile(user_id, NOW - timedelta(days=100), locale=locale)
    token = sign_token(site.unsubscribe_key, user_id, "email", "dormant-offer", NOW, timedelta(days=30))
    page = visit.page
    page.goto(f"{site.base_url}/unsubscribe?token={token}")
    check_page(visit, f"unsubscribe-{locale}")
    button = page.get_by_role("button")
    with page.expect_navigation():
        if by == "click":
            button.click()
        else:
            button.focus()
            page.keyboard.press("Enter")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == {"en": "You are unsubscribed", "zh-CN": "退订成功"}[locale]
    check_page(visit, f"unsubscribed-{locale}")
    profile = get_profile(user_id)
    assert profile is not None and profile.consent["email"] is False
    assert suppression_item(f"email#{user_id}@mail.example.com") is not None


def test_an_expired_unsubscribe_link_shows_a_page_that_asks_no_reply(site: Site, visit: Visit) -> None:
    dormant_profile("unsub-old", NOW - timedelta(days=100))
    old = sign_token(
        site.unsubscribe_key, "unsub-old", "email", "dormant-offer", NOW - timedelta(days=40), timedelta(days=30)
    )
    response = visit.page.goto(f"{site.base_url}/unsubscribe?token={old}")
    assert response is not None and response.status == 400
    assert "reply" not in visit.page.inner_text("body").lower()
    check_page(visit, "unsubscribe-invalid-en")


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("reason", ANSWERS)
def test_each_reason_is_answered_from_its_link(site: Site, visit: Visit, locale: str, reason: Answer) -> None:
    user_id = f"reasons-{locale.lower()}-{reason}"
    dormant_profile(user_id, NOW - timedelta(days=100), locale=locale)
    urls = reason_urls(site.base_url, site.unsubscribe_key, user_id, "lost-question", "e1", NOW, timedelta(days=3))
    page = visit.page
    page.goto(urls[reason])
    check_page(visit, f"reason-{locale}-{reason}")
    with page.expect_navigation():
        page.get_by_role("button").click()
    check_page(visit, f"reason-{locale}-{reason}-thanks")
    stored = ReasonStore(site.table("MessagingTable")).get(user_id, "lost-question", "e1")
    assert stored is not None and stored.reason == reason
