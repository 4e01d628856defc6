"""What a message says: the template variables of one send (links, coupon, recommendations, reasons)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from winback.config.campaigns import ChannelName
from winback.config.program import Program
from winback.content.locales import default_name, resolve_locale
from winback.content.rendering import used_variables
from winback.domain.audience.recommendations import OUT_OF_STOCK_SLACK, Recommendation, Shown, for_display
from winback.domain.journey.quiet_hours import zone_for
from winback.domain.links.preference_links import preferences_url, sign_preference_token
from winback.domain.links.reason_links import reason_urls
from winback.domain.links.tokens import sign_token
from winback.domain.money import format_amount
from winback.models.coupons import IssuedCoupon

if TYPE_CHECKING:
    from winback.domain.audience.recommendations import Recommender
    from winback.models.catalog import CatalogItem
    from winback.models.profile import Profile
    from winback.services.send.ports import Catalog


@dataclass(frozen=True)
class Message:
    """One send: who, on which channel, in which arm, for which campaign step."""

    profile: Profile
    channel: ChannelName
    campaign_id: str
    step: int
    arm: str
    episode: str
    locale: str


def with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def tracking(message: Message) -> dict[str, str]:
    """Campaign tracking parameters: the visit is attributed to the campaign, step and arm."""
    return {
        "utm_source": "winback",
        "utm_medium": message.channel,
        "utm_campaign": message.campaign_id,
        "utm_content": f"step{message.step}-{message.arm}",
    }


def unsubscribe_url(message: Message, program: Program, key: bytes, base_url: str, now: datetime) -> str:
    token = sign_token(
        key,
        message.profile.user_id,
        message.channel,
        message.campaign_id,
        now,
        timedelta(days=program.unsubscribe_token_days),
    )
    return f"{base_url.rstrip('/')}/unsubscribe?token={token}"


def preference_page_url(message: Message, program: Program, key: bytes, base_url: str, now: datetime) -> str:
    """The footer's link to the preference page, signed for this message's user, campaign and arm."""
    token = sign_preference_token(
        key,
        message.profile.user_id,
        message.campaign_id,
        message.channel,
        message.episode,
        message.arm,
        now,
        timedelta(days=program.unsubscribe_token_days),
    )
    return preferences_url(base_url, token)


def coupon_variables(coupon: IssuedCoupon | None, profile: Profile, program: Program) -> dict[str, str] | None:
    if coupon is None:
        return None
    zone: ZoneInfo = zone_for(profile.time_zone, program.default_time_zone)
    return {
        "code": coupon.code,
        "amount": format_amount(coupon.value_minor, coupon.currency),
        "expires": coupon.expires_at.astimezone(zone).date().isoformat(),
    }


@dataclass(frozen=True)
class JobRecommendations:
    """A send job's recommendations, picked once per user, and the catalog items they name, read in
    one BatchGetItem per 100 items for the whole job (never a call per recommendation)."""

    picks: dict[str, list[Recommendation]] = field(default_factory=dict)
    catalog: Mapping[str, CatalogItem] = field(default_factory=dict)


def recommend_for_job(
    messages: Iterable[tuple[Profile, str, ChannelName]],
    program: Program,
    recommender: Recommender,
    catalog: Catalog | None,
) -> JobRecommendations:
    """Picks for each (profile, template, channel) whose template shows recommendations."""
    picks: dict[str, list[Recommendation]] = {}
    for profile, template, channel in messages:
        locale = resolve_locale(profile.locale, program.default_locale)
        if "recommendations" in used_variables(template, channel, locale):
            picks[profile.user_id] = recommender.recommend(profile, program.recommendations.count + OUT_OF_STOCK_SLACK)
    wanted = {p.item_id for found in picks.values() for p in found}
    items = catalog.get_many(wanted) if catalog is not None and wanted else {}
    return JobRecommendations(picks=picks, catalog=items)


def recommendation_variables(shown: Shown, program: Program, params: dict[str, str]) -> dict[str, Any]:
    """What a template shows of one recommendation: the catalog's name, image, formatted price and
    page when the item is known, its id and category otherwise."""
    item = shown.item
    page = item.url if item is not None and item.url else program.item_link(shown.pick.item_id)
    price = None
    if item is not None and item.price_minor is not None and item.currency is not None:
        price = format_amount(item.price_minor, item.currency)
    return {
        "item_id": shown.pick.item_id,
        "category": (item.category if item is not None else None) or shown.pick.category,
        "url": with_query(page, params),
        "name": item.name if item is not None else None,
        "image_url": item.image_url if item is not None else None,
        "price": price,
    }


def variables(
    message: Message,
    template: str,
    program: Program,
    recommender: Recommender,
    coupon: IssuedCoupon | None,
    key: bytes,
    base_url: str,
    now: datetime,
    recommended: JobRecommendations | None = None,
) -> dict[str, Any]:
    """Every variable a template may use; recommendations, reason links and the preference page's link
    only where the message's template shows them (None elsewhere, which every template reads as "not
    offered")."""
    params = tracking(message)
    profile = message.profile
    used = used_variables(template, message.channel, message.locale)
    count = program.recommendations.count
    picks: list[Recommendation] = []
    if "recommendations" in used:
        found = recommended.picks.get(profile.user_id) if recommended is not None else None
        picks = found if found is not None else recommender.recommend(profile, count + OUT_OF_STOCK_SLACK)
    shown = for_display(picks, recommended.catalog if recommended is not None else {}, count)
    return {
        "name": profile.name or default_name(message.locale),
        "brand": program.brand,
        "campaign_id": message.campaign_id,
        # An SMS has no room for tracking parameters (70 characters in Chinese): the bare site link.
        "cta_url": program.site_url if message.channel == "sms" else with_query(program.site_url, params),
        "unsubscribe_url": unsubscribe_url(message, program, key, base_url, now),
        "preferences_url": preference_page_url(message, program, key, base_url, now)
        if "preferences_url" in used
        else None,
        "coupon": coupon_variables(coupon, profile, program),
        "recommendations": [recommendation_variables(s, program, params) for s in shown] or None,
        "reason_urls": reason_urls(
            base_url,
            key,
            profile.user_id,
            message.campaign_id,
            message.episode,
            now,
            timedelta(days=program.reasons.link_valid_days),
        )
        if "reason_urls" in used
        else None,
    }
