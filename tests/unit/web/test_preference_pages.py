"""web/preferences.py and web/shell.py: the preference pages in both languages, escaped, self-contained,
and an invalid link's page that never asks anyone to reply to a no-reply address."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from winback.models.preferences import OwnCap, Preferences
from winback.models.profile import Profile
from winback.web.pages import REASON_LABELS, REASON_TEXT, UNSUBSCRIBE_TEXT, unsubscribe_invalid_page
from winback.web.preferences import (
    PREFERENCE_TEXT,
    PageContext,
    preference_form_invalid_page,
    preference_invalid_page,
    preference_page,
    saved_page,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FEWER = OwnCap(max_messages=1, window_days=14)
EVIL = '<script>alert("x")</script> & "Co"'
LOCALES = sorted(PREFERENCE_TEXT)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def ctx(locale: str = "en", brand: str = "Acme", token: str = "tok.en.id") -> PageContext:
    return PageContext(locale, brand, token, FEWER, NOW)


def user(**fields: object) -> Profile:
    data: dict[str, object] = {
        "user_id": "u1",
        "email": "u1@mail.example.com",
        "phone": "+14155550101",
        "consent": {"email": True, "sms": True},
    }
    return Profile.model_validate(data | fields)


def test_every_page_language_has_every_text() -> None:
    assert set(PREFERENCE_TEXT) == set(UNSUBSCRIBE_TEXT) == set(REASON_TEXT) == set(REASON_LABELS)
    for texts in PREFERENCE_TEXT.values():
        assert set(texts) == set(PREFERENCE_TEXT["en"])


@pytest.mark.parametrize("locale", LOCALES)
def test_the_page_offers_each_choice_as_a_labelled_control_in_its_own_form(locale: str) -> None:
    tags = parse(preference_page(ctx(locale), user()))
    forms = [a for t, a in tags.tags if t == "form"]
    assert len(forms) == 5 and all(a.get("method") == "post" and "action" not in a for a in forms)
    hidden = [a for t, a in tags.tags if t == "input" and a.get("type") == "hidden"]
    assert len(hidden) == 5 and all(a == {"type": "hidden", "name": "token", "value": "tok.en.id"} for a in hidden)
    choices = [a.get("value") for t, a in tags.tags if t == "button" and a.get("name") == "choice"]
    assert choices == ["fewer", "pause_30", "pause_90", "channels", "unsubscribe_all"]
    channels = [a["value"] for t, a in tags.tags if t == "input" and a.get("name") == "channel"]
    assert channels == ["email", "sms"]  # consent and an address: push and inbox are not offered
    reasons = [a["value"] for t, a in tags.tags if t == "input" and a.get("name") == "reason"]
    assert reasons == list(REASON_LABELS[locale])
    assert ("html", {"lang": locale}) in tags.tags


def test_the_page_shows_the_users_choices_as_they_stand() -> None:
    chosen = user(
        time_zone="Asia/Shanghai",
        preferences=Preferences(cap=FEWER, paused_until=NOW + timedelta(days=30), channels_off=["sms"]),
    )
    en = preference_page(ctx(), chosen)
    assert "Messages are paused until 31 March 2026." in en and "at most 1 message every 14 days" in en
    assert 'value="usual"' in en and 'value="resume"' in en and 'value="fewer"' not in en
    assert 'value="sms">' in en and 'value="email" checked>' in en
    zh = preference_page(ctx("zh-CN"), chosen)
    assert "消息已暂停至 2026年3月31日。" in zh and "每 14 天 1 条消息" in zh


def test_a_user_we_cannot_reach_sees_only_the_reason_question() -> None:
    for profile in (None, user(consent={"email": False, "sms": False})):
        tags = parse(preference_page(ctx(), profile))
        assert [a.get("value") for t, a in tags.tags if t == "button" and a.get("name") == "choice"] == []
        assert any(a.get("name") == "reason" for t, a in tags.tags if t == "input")


@pytest.mark.parametrize("locale", LOCALES)
def test_brand_and_token_are_escaped_everywhere(locale: str) -> None:
    token = '"><img src=x onerror=alert(1)>'
    with_brand = [
        preference_page(ctx(locale, EVIL, token), user()),
        saved_page(ctx(locale, EVIL, token), "unsubscribe_all", True, None, user()),
    ]
    for html in [*with_brand, preference_form_invalid_page(ctx(locale, EVIL, token))]:
        assert "<script>" not in html and "<img" not in html
        assert 'value="&quot;&gt;&lt;img' in html or 'href="?token=&quot;&gt;&lt;img' in html
    for html in with_brand:
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot;" in html


@pytest.mark.parametrize("locale", LOCALES)
def test_pages_load_nothing_from_anywhere(locale: str) -> None:
    pages = [
        preference_page(ctx(locale), user()),
        saved_page(ctx(locale), "pause_90", True, "privacy", user(preferences=Preferences(paused_until=NOW))),
        preference_invalid_page(locale),
        unsubscribe_invalid_page(locale),
    ]
    for html in pages:
        assert not re.search(r"(?:src|href|action)=\"(?:https?:)?//", html), html
        assert "@import" not in html and "url(" not in html
        assert "default-src 'none'" in html


@pytest.mark.parametrize("locale", LOCALES)
def test_an_invalid_link_never_asks_for_a_reply(locale: str) -> None:
    """A no-reply sender reads no replies: the 400 pages point to the newest message instead."""
    for html in (preference_invalid_page(locale), unsubscribe_invalid_page(locale)):
        text = " ".join(parse(html).text).lower()
        assert "reply" not in text and "回复" not in text
        assert "nothing was changed" in text or "未做任何更改" in text


def test_the_saved_page_says_what_changed_and_offers_the_question() -> None:
    paused = user(preferences=Preferences(paused_until=NOW + timedelta(days=90)))
    html = saved_page(ctx(), "pause_90", True, None, paused)
    assert "Messages are paused until 30 May 2026." in html and 'name="reason"' in html
    assert 'href="?token=tok.en.id"' in html
    same = saved_page(ctx(), "fewer", False, None, user())
    assert "nothing needed to change" in same
    thanks = saved_page(ctx(), None, False, "privacy", user())
    assert "Thanks for telling us why." in thanks and "marketing messages" in thanks and 'name="reason"' not in thanks
