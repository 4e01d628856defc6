"""Experiment arms: which arm of a campaign a user is in (pure).

The arm is a function of (campaign, user) alone, so the same user lands in the same arm on every
run, retry and worker, with nothing stored to look up. Changing a campaign's holdout share or
weights moves only the users whose position crosses a boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from winback.config.campaigns import HOLDOUT, PROGRAM_CONTROL, Campaign

_SCALE = float(16**15)
# Hashed in place of a campaign id ('#' is not allowed in one), so the program-wide control group is
# independent of every campaign's holdout.
_PROGRAM_SALT = "program#control"


def position(campaign_id: str, user_id: str) -> float:
    """A uniform number in [0, 1) fixed for (campaign, user)."""
    digest = hashlib.sha256(f"{campaign_id}\x1f{user_id}".encode()).hexdigest()
    return int(digest[:15], 16) / _SCALE


def assign(campaign: Campaign, user_id: str, holdout_percent: float, weights: Mapping[str, float] | None = None) -> str:
    """The user's arm: "holdout" for the first `holdout_percent`, else a variant by weight: the
    campaign's static weights, or `weights` (an adaptive campaign's shares for the day) when given.
    The holdout's range does not depend on the weights, so its share stays exact as they move."""
    at = position(campaign.id, user_id)
    holdout = holdout_percent / 100
    if at < holdout:
        return HOLDOUT
    shares = [(v.id, float(v.weight)) for v in campaign.variants]
    if weights is not None and sum(max(weights.get(v.id, 0.0), 0.0) for v in campaign.variants) > 0:
        shares = [(v.id, max(weights.get(v.id, 0.0), 0.0)) for v in campaign.variants]
    total = sum(share for _, share in shares)
    # Rescale the treated range to [0, total) so variant shares follow their weights exactly.
    point = (at - holdout) / (1 - holdout) * total
    for arm, share in shares:
        if point < share:
            return arm
        point -= share
    return campaign.variants[-1].id


def in_program_control(user_id: str, percent: float) -> bool:
    """Whether the user is in the program-wide control group: the first `percent` of users by a hash
    of the user alone, so the same users in every campaign, run and worker."""
    return position(_PROGRAM_SALT, user_id) < percent / 100


def untreated(arm: str) -> bool:
    """Whether an arm is never messaged: a campaign's holdout or the program-wide control group."""
    return arm in (HOLDOUT, PROGRAM_CONTROL)
