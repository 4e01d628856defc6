"""Experiment arms: which arm of a campaign a user is in (pure).

The arm is a function of (campaign, user) alone, so the same user lands in the same arm on every
run, retry and worker, with nothing stored to look up. Changing a campaign's holdout share or
weights moves only the users whose position crosses a boundary.
"""

from __future__ import annotations

import hashlib

from winback.config.campaigns import HOLDOUT, Campaign

_SCALE = float(16**15)


def position(campaign_id: str, user_id: str) -> float:
    """A uniform number in [0, 1) fixed for (campaign, user)."""
    digest = hashlib.sha256(f"{campaign_id}\x1f{user_id}".encode()).hexdigest()
    return int(digest[:15], 16) / _SCALE


def assign(campaign: Campaign, user_id: str, holdout_percent: float) -> str:
    """The user's arm: "holdout" for the first `holdout_percent`, else a variant by weight."""
    at = position(campaign.id, user_id)
    holdout = holdout_percent / 100
    if at < holdout:
        return HOLDOUT
    total = sum(v.weight for v in campaign.variants)
    # Rescale the treated range to [0, total) so variant shares follow their weights exactly.
    point = (at - holdout) / (1 - holdout) * total
    for variant in campaign.variants:
        if point < variant.weight:
            return variant.id
        point -= variant.weight
    return campaign.variants[-1].id
