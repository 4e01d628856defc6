"""The preference page in Chromium, served by the real handlers: the page itself in both languages
(as it first shows and with choices made), then each preference made through it, which takes effect
at once (the profile, read back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.checks import check_page
from tests.browser.conftest import Site, Visit
from tests.integration.helpers import dormant_profile, get_profile
from winback.adapters.reason_store import ReasonStore
from winback.domain.links.preference_links import preferences_url, sign_preference_token
from winback.models.preferences import OwnCap, Preferences
from winback.models.profile import Profile

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
CAMPAIGN = "dormant-offer"
FEWER = OwnCap(max_messages=1, window_days=14)
SAVED = {"en": "Saved", "zh-CN": "已保存"}
BUTTON = {
    "en": {
        "fewer": "Send me fewer: at most 1 message every 14 days",
        "usual": "Back to the usual number",
        "pause_30": "Pause everything for 30 days",
        "pause_90": "Pause everything for 90 days",
        "resume": "Resume now",
        "channels": "Save channels",
        "why": "Send my answer",
        "unsubscribe_all": "Unsubscribe from all",
        "sms": "Text messages (SMS)",
        "too_many_messages": "You sent me too many messages",
    },
    "zh-CN": {
        "fewer": "减少消息：最多每 14 天 1 条消息",
        "usual": "恢复正常频率",
        "pause_30": "暂停全部消息 30 天",
        "pause_90": "暂停全部消息 90 天",
        "resume": "立即恢复",
        "channels": "保存渠道",
        "why": "提交回答",
        "unsubscribe_all": "全部退订",
        "sms": "短信",
        "too_many_messages": "消息太多了",
    },
}


def _open(site: Site, visit: Visit, locale: str, name: str, **fields: Any) -> str:
    """The page of a fresh user (email and SMS), opened from their footer link; the user's id."""
    user_id = f"prefs-{locale.lower()}-{name}"
    dormant_profile(
        user_id, LAST_ORDER, locale=locale, phone="+14155550100", consent={"email": True, "sms": True}, **fields
    )
    token = sign_preference_token(
        site.unsubscribe_key, user_id, CAMPAIGN, "email", LAST_ORDER.isoformat(), "coupon", NOW, timedelta(days=30)
    )
    response = visit.page.goto(preferences_url(site.base_url, token))
    assert response is not None and response.status == 200
    return user_id


def _saved(visit: Visit, locale: str, name: str) -> None:
    page = visit.page
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == SAVED[locale]
    check_page(visit, f"preferences-{locale}-{name}-saved")


def _profile(user_id: str) -> Profile:
    profile = get_profile(user_id)
    assert profile is not None
    return profile


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_page_as_it_first_shows_and_with_choices_made(site: Site, visit: Visit, locale: str) -> None:
    _open(site, visit, locale, "first")
    check_page(visit, f"preferences-{locale}")
    chosen = Preferences(cap=FEWER, paused_until=NOW + timedelta(days=30), channels_off=["sms"])
    _open(site, visit, locale, "chosen", preferences=chosen)
    assert visit.page.get_by_role("button", name=BUTTON[locale]["resume"]).is_visible()
    assert not visit.page.get_by_label(BUTTON[locale]["sms"]).is_checked()
    check_page(visit, f"preferences-{locale}-with-choices")


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("choice", ["fewer", "pause_30", "pause_90", "unsubscribe_all"])
def test_each_choice_takes_effect_at_once(site: Site, visit: Visit, locale: str, choice: str) -> None:
    user_id = _open(site, visit, locale, choice)
    with visit.page.expect_navigation():
        visit.page.get_by_role("button", name=BUTTON[locale][choice]).click()
    _saved(visit, locale, choice)
    profile = _profile(user_id)
    prefs = profile.preferences
    if choice == "fewer":
        assert prefs is not None and prefs.cap == FEWER
    elif choice == "unsubscribe_all":
        assert profile.consent == {"email": False, "sms": False, "push": False, "inbox": False}
    else:
        days = int(choice.removeprefix("pause_"))
        assert prefs is not None and prefs.paused_until is not None
        assert abs(prefs.paused_until - (NOW + timedelta(days=days))) < timedelta(minutes=10)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("choice", ["usual", "resume"])
def test_a_choice_is_undone_from_the_page(site: Site, visit: Visit, locale: str, choice: str) -> None:
    chosen = Preferences(cap=FEWER) if choice == "usual" else Preferences(paused_until=NOW + timedelta(days=90))
    user_id = _open(site, visit, locale, choice, preferences=chosen)
    with visit.page.expect_navigation():
        visit.page.get_by_role("button", name=BUTTON[locale][choice]).click()
    _saved(visit, locale, choice)
    prefs = _profile(user_id).preferences
    assert prefs is not None and prefs.cap is None and prefs.paused_until is None


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_channels_are_chosen_with_the_keyboard(site: Site, visit: Visit, locale: str) -> None:
    """Space unticks the SMS box, Enter in the form saves it (the form's only button)."""
    user_id = _open(site, visit, locale, "channels")
    page = visit.page
    page.get_by_label(BUTTON[locale]["sms"]).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to the form's button: Enter on a checkbox submits nothing
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _saved(visit, locale, "channels")
    prefs = _profile(user_id).preferences
    assert prefs is not None and prefs.channels_off == ["sms"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_reason_is_given_on_the_page_then_the_way_back(site: Site, visit: Visit, locale: str) -> None:
    user_id = _open(site, visit, locale, "why")
    page = visit.page
    page.get_by_label(BUTTON[locale]["too_many_messages"]).check()
    with page.expect_navigation():
        page.get_by_role("button", name=BUTTON[locale]["why"]).click()
    _saved(visit, locale, "why")
    stored = ReasonStore(site.table("MessagingTable")).get(user_id, CAMPAIGN, LAST_ORDER.isoformat())
    assert stored is not None and stored.reason == "too_many_messages"
    with page.expect_navigation():
        page.get_by_role("link").click()  # back to the page, to choose something else
    assert page.get_by_role("button", name=BUTTON[locale]["fewer"]).is_visible()


def test_a_bad_link_shows_a_page_that_asks_no_reply(site: Site, visit: Visit) -> None:
    response = visit.page.goto(f"{site.base_url}/preferences?token=not-a-token")
    assert response is not None and response.status == 400
    assert "reply" not in visit.page.inner_text("body").lower()
    check_page(visit, "preferences-invalid-en")
