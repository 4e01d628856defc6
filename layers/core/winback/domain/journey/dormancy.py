"""Which dormancy tier a user is in, measured on the program's activity signal (pure)."""

from __future__ import annotations

from datetime import datetime

from winback.config.dormancy import Dormancy, Tier
from winback.models.profile import Profile


def dormant_since(profile: Profile, rules: Dormancy) -> datetime | None:
    """When the user's current quiet spell began: their last signal, or signup if they never had one."""
    return profile.signal_at(rules.signal) or profile.first_seen_at


def dormancy_tier(profile: Profile, rules: Dormancy, as_of: datetime) -> Tier | None:
    """The deepest tier whose threshold the user has crossed by `as_of`; None while active."""
    since = dormant_since(profile, rules)
    if since is None:
        return None
    days = (as_of - since).total_seconds() / 86_400
    crossed = [tier for tier in rules.tiers if days >= tier.after_days]
    return crossed[-1] if crossed else None
