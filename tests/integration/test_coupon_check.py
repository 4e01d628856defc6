"""GET /coupons/{code}?user_id= (IAM): a checkout checks a winback code without consuming it; the
order event still redeems it exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.conftest import Stack
from winback.adapters.coupon_store import CouponStore
from winback.config.settings import get_settings

NOW = datetime.now(UTC)


def _issue(user_id: str = "u-shop", days: float = 14) -> str:
    store = CouponStore(get_settings().incentive_table)
    coupon = store.issue(user_id, "dormant-offer", 0, "ep", 1500, "USD", NOW + timedelta(days=days), None, NOW)
    assert coupon is not None
    return coupon.code


def _check(stack: Stack, code: str, user_id: str | None = "u-shop", iam: bool = True) -> tuple[int, dict[str, Any]]:
    query = {"user_id": user_id} if user_id is not None else {}
    reply = stack.runner.http("GET", f"/coupons/{code}", query, iam=iam)
    return int(reply["statusCode"]), json.loads(reply["body"]) if reply.get("body") else {}


def test_checkout_sees_a_valid_code_its_value_and_expiry_and_it_stays_unused(stack: Stack) -> None:
    """Guards: the check answers valid with value, currency and expiry; it consumes nothing, so the
    same code checks valid twice and still redeems once through the order."""
    code = _issue()
    for _ in range(2):
        status, body = _check(stack, code.lower().replace("-", " "))  # as a shopper might type it
        assert status == 200
        assert body["valid"] is True and body["status"] == "valid" and body["code"] == code
        assert (body["value"], body["value_minor"], body["currency"]) == ("15.00", 1500, "USD")
        assert datetime.fromisoformat(body["expires_at"]) > NOW + timedelta(days=13)
    store = CouponStore(get_settings().incentive_table)
    assert store.redeem(code, "u-shop", NOW, "order-1").accepted
    after = _check(stack, code)[1]
    assert (after["valid"], after["status"]) == (False, "redeemed")


def test_another_users_code_unknown_codes_and_expired_codes_are_not_valid(stack: Stack) -> None:
    """Guard: the owner is checked first (no value leaks to another user); typos and expiry say no."""
    code = _issue()
    status, body = _check(stack, code, user_id="u-other")
    assert status == 200 and body["status"] == "wrong_user" and body["value"] is None
    assert _check(stack, "WB-NOT-A-CODE")[1]["status"] == "unknown"
    assert _check(stack, code, user_id=None)[0] == 400


def test_coupon_check_requires_iam(stack: Stack) -> None:
    assert _check(stack, _issue(), iam=False)[0] == 403
