"""Which dormancy tier a user is in, measured on the program's activity signal, and before the fixed
tiers the predicted one, churn_risk, when a fitted model says a repeat buyer has likely left (pure)."""

from __future__ import annotations

from datetime import datetime

from winback.config.dormancy import CHURN_RISK, Dormancy, Tier
from winback.models.profile import Profile


def dormant_since(profile: Profile, rules: Dormancy) -> datetime | None:
    """When the user's current quiet spell began: their last signal, or signup if they never had one."""
    return profile.signal_at(rules.signal) or profile.first_seen_at


def dormancy_tier(profile: Profile, rules: Dormancy, as_of: datetime) -> Tier | None:
    """The deepest fixed tier whose threshold the user has crossed by `as_of`; None while active."""
    since = dormant_since(profile, rules)
    if since is None:
        return None
    days = (as_of - since).total_seconds() / 86_400
    crossed = [tier for tier in rules.tiers if days >= tier.after_days]
    return crossed[-1] if crossed else None


def churn_risk_tier(profile: Profile, rules: Dormancy, p_alive: float | None) -> Tier | None:
    """churn_risk, for a user no fixed tier holds yet: a repeat buyer whose P(alive) is under the
    configured threshold (None: no fitted model, or no order history)."""
    risk = rules.churn_risk
    if risk is None or p_alive is None or profile.orders < risk.min_orders:
        return None
    if p_alive >= risk.p_alive_below:
        return None
    # after_days is the fixed tiers' threshold; the predicted tier has none, so the first day stands in.
    return Tier(name=CHURN_RISK, after_days=1)
