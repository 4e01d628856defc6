"""Matching a dormant user to a campaign and choosing the channel to reach them on (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from winback.config.campaigns import Campaign, ChannelName, ValueRange
from winback.config.program import Program
from winback.domain.journey.addresses import contact_address, has_consent
from winback.domain.journey.preferences import channel_allowed
from winback.domain.money import minor_units
from winback.models.profile import Profile


def in_value_range(bounds: ValueRange, value_minor: int | None, base_currency: str) -> bool:
    """Whether a user's expected 12-month value (base minor units; None: no fitted model) is in range."""
    if value_minor is None:
        return False
    low = None if bounds.at_least is None else minor_units(bounds.at_least, base_currency)
    high = None if bounds.below is None else minor_units(bounds.below, base_currency)
    return (low is None or value_minor >= low) and (high is None or value_minor < high)


def campaign_for(
    program: Program,
    tier: str,
    segment: str | None = None,
    activity: str | None = None,
    expected_value_minor: int | None = None,
) -> Campaign | None:
    """The first campaign (in program order) whose tiers, segments, activity levels and expected value
    all match: ordered rules, so every user matches one campaign or none."""
    base = program.segments.base_currency
    for campaign in program.campaigns:
        if (
            tier in campaign.tiers
            and (campaign.segments is None or segment in campaign.segments)
            and (campaign.activity_levels is None or activity in campaign.activity_levels)
            and (campaign.expected_value is None or in_value_range(campaign.expected_value, expected_value_minor, base))
        ):
            return campaign
    return None


def reachable_channels(channels: Sequence[ChannelName], profile: Profile) -> list[tuple[ChannelName, str]]:
    """(channel, address) the user consented to, did not turn off on the preference page and has an
    address for, in preference order."""
    return [
        (ch, address)
        for ch in channels
        if has_consent(ch, profile) and channel_allowed(profile, ch) and (address := contact_address(ch, profile))
    ]


def choose_channel(campaign: Campaign, profile: Profile) -> ChannelName | None:
    """The campaign's most preferred channel the user may be reached on (`reachable_channels`)."""
    reachable = reachable_channels(campaign.channels, profile)
    return reachable[0][0] if reachable else None
