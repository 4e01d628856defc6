"""services/send_content.py: the variables of one send, computed only where the template (or its layout)
shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from winback.config.campaigns import Channel
from winback.config.program import Program
from winback.content.rendering import render
from winback.domain.audience.recommendations import Recommendation
from winback.models.profile import Profile
from winback.services.send_content import Message, variables

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PICKS = [Recommendation("sku-12", "shoes", "popular"), Recommendation("sku-7", None, "popular")]


class CountingRecommender:
    def __init__(self) -> None:
        self.calls = 0

    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        self.calls += 1
        return PICKS[:count]


def message(channel: Channel, locale: str, name: str | None = "Ada") -> Message:
    profile = Profile(user_id="u1", name=name, locale=locale)
    return Message(profile, channel, "dormant-offer", 0, "a", "e1", locale)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_an_email_asks_for_recommendations_and_shows_them(program: Program, locale: str) -> None:
    recommender = CountingRecommender()
    values = variables(message("email", locale), "offer", program, recommender, None, b"k", "https://api.example", NOW)
    assert recommender.calls == 1
    out = render("offer", "email", locale, values)
    for pick in values["recommendations"]:
        assert pick["url"].startswith(program.item_link(pick["item_id"]))
        assert f'<a href="{pick["url"]}"' in out.html.replace("&amp;", "&")
        assert pick["url"] in out.text
    assert len(values["recommendations"]) == 2


def test_an_sms_never_asks_for_recommendations(program: Program) -> None:
    recommender = CountingRecommender()
    values = variables(message("sms", "en"), "offer", program, recommender, None, b"k", "https://api.example", NOW)
    assert recommender.calls == 0
    assert values["recommendations"] is None


@pytest.mark.parametrize(("locale", "expected"), [("en", "there"), ("zh-CN", "朋友")])
def test_a_user_without_a_name_gets_the_locales_default_name(program: Program, locale: str, expected: str) -> None:
    recommender = CountingRecommender()
    values = variables(message("sms", locale, name=None), "offer", program, recommender, None, b"k", "https://x", NOW)
    assert values["name"] == expected
