"""Matching a dormant user to a campaign and choosing the channel to reach them on (pure)."""

from __future__ import annotations

from winback.domain.addresses import contact_address
from winback.models.profile import Profile
from winback.program import Campaign, Channel, Program


def campaign_for(program: Program, tier: str) -> Campaign | None:
    """The first campaign (in program order) that targets `tier`."""
    return next((c for c in program.campaigns if tier in c.tiers), None)


def reachable_channels(campaign: Campaign, profile: Profile) -> list[tuple[Channel, str]]:
    """(channel, address) the user consented to and has an address for, in the campaign's order."""
    return [
        (ch, address)
        for ch in campaign.channels
        if profile.consent.get(ch)
        and (address := contact_address(ch, profile.email, profile.phone, profile.push_endpoint))
    ]


def choose_channel(campaign: Campaign, profile: Profile) -> Channel | None:
    """The campaign's most preferred channel the user consented to and has an address for."""
    reachable = reachable_channels(campaign, profile)
    return reachable[0][0] if reachable else None
