"""A coupon as the send service speaks of it: the one issued to a user for one send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class IssuedCoupon:
    code: str
    user_id: str
    campaign_id: str
    step: int
    episode: str
    value_minor: int
    currency: str
    expires_at: datetime
    # Whether the CouponIssued event reached the offers bus (kept on the user's pointer).
    announced: bool = False
