"""Matching a dormant user to a campaign and choosing the channel to reach them on (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from winback.config.campaigns import Campaign, ChannelName
from winback.config.program import Program
from winback.domain.journey.addresses import contact_address, has_consent
from winback.domain.journey.preferences import channel_allowed
from winback.models.profile import Profile


def campaign_for(
    program: Program, tier: str, segment: str | None = None, activity: str | None = None
) -> Campaign | None:
    """The first campaign (in program order) whose tiers, segments and activity levels all match:
    ordered rules, so every user matches one campaign or none."""
    for campaign in program.campaigns:
        if (
            tier in campaign.tiers
            and (campaign.segments is None or segment in campaign.segments)
            and (campaign.activity_levels is None or activity in campaign.activity_levels)
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
