"""Coupons as the services speak of them: the one issued to a user for one send (the send service),
and the outcome of redeeming a code (ingest)."""

from __future__ import annotations

import enum
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


class RedemptionStatus(enum.StrEnum):
    REDEEMED = "redeemed"
    REDEEMED_BEFORE = "redeemed_before"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ALREADY_USED = "already_used"
    WRONG_USER = "wrong_user"


@dataclass(frozen=True)
class Redemption:
    """The outcome of a redemption; the coupon's details only when it was (or had been) redeemed."""

    status: RedemptionStatus
    code: str | None = None
    campaign_id: str | None = None
    step: int | None = None
    value_minor: int | None = None
    currency: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status in (RedemptionStatus.REDEEMED, RedemptionStatus.REDEEMED_BEFORE)
