"""A checkout's question about a coupon code: may this user use it now, and for how much?

Answered without consuming the code: redemption stays exactly-once through the order event. The
owner is checked first, so a code typed by someone else says nothing about its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from winback.domain.money import exponent

CheckStatus = Literal["valid", "unknown", "wrong_user", "expired", "redeemed"]


class CouponCheck(BaseModel):
    code: str
    valid: bool
    status: CheckStatus
    value: str | None = None  # major units as a decimal string ("15.00")
    value_minor: int | None = None
    currency: str | None = None
    expires_at: datetime | None = None


def check_coupon(code: str, item: Mapping[str, Any] | None, user_id: str, now: datetime) -> CouponCheck:
    """The answer for the stored coupon `item` (None: no such code)."""
    if item is None:
        return CouponCheck(code=code, valid=False, status="unknown")
    if item["user_id"] != user_id:
        return CouponCheck(code=code, valid=False, status="wrong_user")
    value_minor, currency = int(item["value_minor"]), str(item["currency"])
    expires_at = datetime.fromtimestamp(int(item["valid_until"]), UTC)
    status: CheckStatus = "valid"
    if item["status"] == "redeemed":
        status = "redeemed"
    elif expires_at <= now:
        status = "expired"
    return CouponCheck(
        code=code,
        valid=status == "valid",
        status=status,
        value=str(Decimal(value_minor).scaleb(-exponent(currency))),
        value_minor=value_minor,
        currency=currency,
        expires_at=expires_at,
    )
