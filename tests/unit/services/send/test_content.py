"""services/send/content.py: the variables of one send, computed only where the template (or its layout)
shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from winback.config.campaigns import ChannelName
from winback.config.program import Program
from winback.content.rendering import render
from winback.domain.audience.recommendations import Recommendation
from winback.models.profile import Profile
from winback.services.send.content import Message, variables

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PICKS = [Recommendation("sku-12", "shoes", "popular"), Recommendation("sku-7", None, "popular")]


class CountingRecommender:
    def __init__(self) -> None:
        self.calls = 0

    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        self.calls += 1
        return PICKS[:count]


def message(channel: ChannelName, locale: str, name: str | None = "Ada") -> Message:
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


def test_catalog_items_show_name_price_and_their_own_page(program: Program) -> None:
    """Guard: the job's catalog items reach the email with the price formatted by domain/money.py;
    an out-of-stock pick is skipped; the recommender is not asked again (picks made once per job)."""
    from winback.models.catalog import CatalogItem
    from winback.services.send.content import JobRecommendations

    recommender = CountingRecommender()
    catalog = {
        "sku-12": CatalogItem(item_id="sku-12", name="Trail Runner", price_minor=8900, currency="USD", in_stock=False),
        "sku-7": CatalogItem(
            item_id="sku-7",
            name="Rain Jacket",
            price_minor=129900,
            currency="CNY",
            url="https://shop.example.com/jacket",
        ),
    }
    recommended = JobRecommendations(picks={"u1": PICKS}, catalog=catalog)
    values = variables(
        message("email", "en"), "offer", program, recommender, None, b"k", "https://api.example", NOW, recommended
    )
    assert recommender.calls == 0
    [shown] = values["recommendations"]
    assert (shown["name"], shown["price"]) == ("Rain Jacket", "¥1,299.00")
    assert shown["url"].startswith("https://shop.example.com/jacket?utm_source=winback")
    out = render("offer", "email", "en", values)
    assert "Rain Jacket</a> · ¥1,299.00" in out.html and "Trail Runner" not in out.html
