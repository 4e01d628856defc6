"""Matching a dormant user to a campaign and choosing the channel to reach them on (pure)."""

from __future__ import annotations

from winback.models.profile import Profile
from winback.program import Campaign, Channel, Program


def campaign_for(program: Program, tier: str) -> Campaign | None:
    """The first campaign (in program order) that targets `tier`."""
    return next((c for c in program.campaigns if tier in c.tiers), None)


def choose_channel(campaign: Campaign, profile: Profile) -> Channel | None:
    """The campaign's most preferred channel the user consented to and has an address for."""
    addresses: dict[Channel, str | None] = {
        "email": profile.email,
        "sms": profile.phone,
        "push": profile.push_endpoint,
    }
    for channel in campaign.channels:
        if profile.consent.get(channel) and addresses[channel]:
            return channel
    return None
