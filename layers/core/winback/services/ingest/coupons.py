"""Coupon codes on live orders, redeemed exactly once each, before the orders are applied."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from winback.models.coupons import Redemption
    from winback.models.events import ActivityEvent

# A user's redemptions in a request, each with the order event that carried its code.
Redemptions = dict[str, list[tuple["ActivityEvent", "Redemption"]]]


class CouponRedeemer(Protocol):
    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Redemption: ...


def redeem_coupons(
    events: Sequence[ActivityEvent],
    batch_id: str,
    coupons: CouponRedeemer,
    event_ids: Sequence[str] | None = None,
) -> Redemptions:
    """Redeem the coupon codes orders carry, per user, each with its order event. The order reference
    (the event's own id, or request and position) is the same when the event is resent, so a resend
    finds its redemption done: `redeemed_before`."""
    found: Redemptions = defaultdict(list)
    for index, event in enumerate(events):
        code = event.properties.coupon_code
        if event.type == "order" and code:
            ref = f"event#{event_ids[index]}" if event_ids is not None else f"{batch_id}#{index}"
            found[event.user_id].append((event, coupons.redeem(code, event.user_id, event.occurred_at, ref)))
    return found


def coupon_counts(redemptions: Redemptions) -> dict[str, int]:
    """`coupons_redeemed` (this request) and `coupons_rejected` (expired, used, another user's, unknown);
    a code redeemed before by the same order counts as neither."""
    statuses = Counter(r.status.value for found in redemptions.values() for _, r in found)
    rejected = sum(n for status, n in statuses.items() if status not in ("redeemed", "redeemed_before"))
    return {"coupons_redeemed": statuses["redeemed"], "coupons_rejected": rejected}
