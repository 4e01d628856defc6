"""What a message says: the template variables of one send (links, coupon, recommendations, reasons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from winback.adapters.coupon_store import IssuedCoupon
from winback.config.campaigns import Channel
from winback.config.program import Program
from winback.content.locales import default_name
from winback.content.rendering import used_variables
from winback.domain.journey.quiet_hours import zone_for
from winback.domain.links.reason_links import reason_urls
from winback.domain.links.tokens import sign_token
from winback.domain.money import format_amount

if TYPE_CHECKING:
    from winback.adapters.coupon_store import IssuedCoupon
    from winback.config.campaigns import Channel
    from winback.config.program import Program
    from winback.domain.audience.recommendations import Recommender
    from winback.models.profile import Profile


@dataclass(frozen=True)
class Message:
    """One send: who, on which channel, in which arm, for which campaign step."""

    profile: Profile
    channel: Channel
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


def coupon_variables(coupon: IssuedCoupon | None, profile: Profile, program: Program) -> dict[str, str] | None:
    if coupon is None:
        return None
    zone: ZoneInfo = zone_for(profile.time_zone, program.default_time_zone)
    return {
        "code": coupon.code,
        "amount": format_amount(coupon.value_minor, coupon.currency),
        "expires": coupon.expires_at.astimezone(zone).date().isoformat(),
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
) -> dict[str, Any]:
    """Every variable a template may use; recommendations and reason links only where the message's
    template shows them (None elsewhere, which every template reads as "not offered")."""
    params = tracking(message)
    profile = message.profile
    used = used_variables(template, message.channel, message.locale)
    picks = recommender.recommend(profile, program.recommendations.count) if "recommendations" in used else []
    return {
        "name": profile.name or default_name(message.locale),
        "brand": program.brand,
        "campaign_id": message.campaign_id,
        # An SMS has no room for tracking parameters (70 characters in Chinese): the bare site link.
        "cta_url": program.site_url if message.channel == "sms" else with_query(program.site_url, params),
        "unsubscribe_url": unsubscribe_url(message, program, key, base_url, now),
        "coupon": coupon_variables(coupon, profile, program),
        "recommendations": [
            {"item_id": r.item_id, "category": r.category, "url": with_query(program.item_link(r.item_id), params)}
            for r in picks
        ]
        or None,
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
