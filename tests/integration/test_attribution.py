"""Attribution through the ingest webhook: a user assigned to a campaign (treated or held out) who
orders within the window is counted reactivated once, with revenue; coupons redeem exactly once."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, invoke_scan
from winback.adapters.coupon_store import CouponStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.campaigns import HOLDOUT
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.journey.coupons import new_code
from winback.domain.measurement.arms import assign

ASSIGNED_AT = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
LAST_ORDER = ASSIGNED_AT - timedelta(days=100)
CAMPAIGN = "dormant-offer"
SEGMENT = "hibernating"


def _order(user_id: str, at: datetime, amount: str = "42.00", coupon: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"amount": amount, "currency": "USD", "item_id": "sku-1"}
    if coupon is not None:
        properties["coupon_code"] = coupon
    return {"user_id": user_id, "type": "order", "occurred_at": at.isoformat(), "properties": properties}


def _post(stack: Stack, events: list[dict[str, Any]], webhook_id: str | None = None) -> dict[str, Any]:
    reply = stack.runner.post_events(events, webhook_id=webhook_id)
    assert reply["statusCode"] == 200, reply["body"]
    body: dict[str, Any] = json.loads(reply["body"])
    return body


def _assigned(user_id: str, arm: str = HOLDOUT) -> None:
    """A dormant user as scan left them: assigned to an arm of the campaign at ASSIGNED_AT."""
    dormant_profile(
        user_id,
        LAST_ORDER,
        tier="dormant",
        tier_entered_at=ASSIGNED_AT,
        assignment={
            "campaign_id": CAMPAIGN,
            "arm": arm,
            "segment": SEGMENT,
            "tier": "dormant",
            "episode": LAST_ORDER.isoformat(),
            "assigned_at": ASSIGNED_AT,
        },
    )


def _cell(arm: str = HOLDOUT, segment: str = SEGMENT, campaign_id: str = CAMPAIGN) -> dict[str, int]:
    for cell in MessagingStore(get_settings().messaging_table).cells(campaign_id):
        if (cell.step, cell.arm, cell.segment) == (None, arm, segment):
            return cell.counts
    return {}


def _reactivated_at(user_id: str) -> datetime | None:
    profile = get_profile(user_id)
    assert profile is not None and profile.assignment is not None
    return profile.assignment.reactivated_at


def test_a_held_out_user_from_the_scan_who_orders_in_the_window_counts_in_the_holdout_cell(stack: Stack) -> None:
    program = load_program(get_settings().program_path)
    campaign = program.campaign("lapsing-nudge")
    user_id = next(u for i in count() if assign(campaign, u := f"h{i}", program.holdout_percent(campaign)) == HOLDOUT)
    scanned_at = ASSIGNED_AT
    dormant_profile(user_id, scanned_at - timedelta(days=45))
    invoke_scan(stack, "run-a", scanned_at)
    profile = get_profile(user_id)
    assert profile is not None and profile.assignment is not None and profile.assignment.arm == HOLDOUT
    segment = profile.assignment.segment

    ordered_at = scanned_at + timedelta(days=3, hours=5)
    reply = _post(stack, [_order(user_id, ordered_at, "42.50")])

    assert reply["reactivated"] == 1
    counts = _cell(HOLDOUT, segment, "lapsing-nudge")
    assert counts["assigned"] == 1 and counts["reactivated"] == 1
    assert counts["react_day_3"] == 1 and counts["revenue_minor_USD"] == 4250
    assert _reactivated_at(user_id) == ordered_at


@pytest.mark.parametrize(
    "offset", [timedelta(days=14, minutes=1), timedelta(days=-1)], ids=["after-window", "before-assignment"]
)
def test_an_order_outside_the_window_is_not_attributed(stack: Stack, offset: timedelta) -> None:
    _assigned("u1")
    reply = _post(stack, [_order("u1", ASSIGNED_AT + offset)])
    assert reply["reactivated"] == 0 and reply["applied"] == 1
    assert _cell() == {}
    assert _reactivated_at("u1") is None


def test_a_second_order_in_the_window_adds_revenue_but_not_a_second_reactivation(stack: Stack) -> None:
    """Also the guard of the program report's revenue interval: the stored assignment keeps the user's
    running total, so the squares counter holds (10.00 + 5.50)^2, not 10.00^2 + 5.50^2."""
    _assigned("u1")
    first = _post(stack, [_order("u1", ASSIGNED_AT + timedelta(days=2), "10.00")])
    second = _post(stack, [_order("u1", ASSIGNED_AT + timedelta(days=5), "5.50")])
    assert (first["reactivated"], second["reactivated"]) == (1, 0)
    counts = _cell()
    assert counts["reactivated"] == 1 and counts["react_day_2"] == 1 and "react_day_5" not in counts
    assert counts["revenue_minor_USD"] == 1550 and counts["revenue_sq_minor_USD"] == 1550**2
    assert _reactivated_at("u1") == ASSIGNED_AT + timedelta(days=2)


def test_a_replayed_webhook_counts_nothing_twice(stack: Stack) -> None:
    _assigned("u1")
    events = [_order("u1", ASSIGNED_AT + timedelta(days=1), "20.00")]
    first = _post(stack, events, webhook_id="msg_replayed")
    again = _post(stack, events, webhook_id="msg_replayed")
    assert again == first and first["reactivated"] == 1
    assert _cell() == {
        "reactivated": 1,
        "react_day_1": 1,
        "orders": 1,
        "revenue_minor_USD": 2000,
        "revenue_sq_minor_USD": 2000**2,
    }
    profile = get_profile("u1")
    assert profile is not None and profile.orders == 2  # the stored order and this one, once


def _issue(user_id: str, expires_in: timedelta = timedelta(days=14)) -> str:
    coupon = CouponStore(get_settings().incentive_table).issue(
        user_id, CAMPAIGN, 0, LAST_ORDER.isoformat(), 1000, "USD", ASSIGNED_AT + expires_in, None, ASSIGNED_AT
    )
    assert coupon is not None
    return coupon.code


def test_a_coupon_is_redeemed_once_and_counted_in_the_campaign_cell(stack: Stack) -> None:
    _assigned("u1", arm="coupon")
    code = _issue("u1")
    first = _post(stack, [_order("u1", ASSIGNED_AT + timedelta(days=1), coupon=code)])
    reused = _post(stack, [_order("u1", ASSIGNED_AT + timedelta(days=2), coupon=code)])
    assert (first["coupons_redeemed"], first["coupons_rejected"]) == (1, 0)
    assert (reused["coupons_redeemed"], reused["coupons_rejected"]) == (0, 1)
    counts = _cell("coupon")
    assert counts["coupons_redeemed"] == 1 and counts["reactivated"] == 1
    assert CouponStore(get_settings().incentive_table).spend(CAMPAIGN)["redeemed"] == 1


@pytest.mark.parametrize("case", ["expired", "another-users", "unknown"])
def test_a_coupon_that_is_not_the_users_to_redeem_is_rejected_and_the_order_still_counts(
    stack: Stack, case: str
) -> None:
    _assigned("u1", arm="coupon")
    if case == "expired":
        code = _issue("u1", expires_in=timedelta(days=1))
    elif case == "another-users":
        code = _issue("u2")
    else:
        code = new_code(random.Random(7), "WB")  # well-formed, never issued
    reply = _post(stack, [_order("u1", ASSIGNED_AT + timedelta(days=3), coupon=code)])
    assert (reply["coupons_redeemed"], reply["coupons_rejected"]) == (0, 1)
    counts = _cell("coupon")
    assert counts["reactivated"] == 1 and "coupons_redeemed" not in counts
    assert CouponStore(get_settings().incentive_table).spend(CAMPAIGN)["redeemed"] == 0


def test_a_request_retried_after_its_profile_write_failed_still_counts_the_redemption(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from winback.adapters.activity_store import ActivityStore, Applied
    from winback.services.ingest.apply import ProfileContention

    _assigned("u1", arm="coupon")
    code = _issue("u1")
    events = [_order("u1", ASSIGNED_AT + timedelta(days=1), coupon=code)]
    put = ActivityStore.put_applying
    monkeypatch.setattr(ActivityStore, "put_applying", lambda self, *args: Applied.CONFLICT)
    with pytest.raises(ProfileContention):
        stack.runner.post_events(events, webhook_id="msg_retried")
    monkeypatch.setattr(ActivityStore, "put_applying", put)
    reply = _post(stack, events, webhook_id="msg_retried")  # the upstream retries the failed request
    assert reply["reactivated"] == 1
    assert CouponStore(get_settings().incentive_table).spend(CAMPAIGN)["redeemed"] == 1
    assert _cell("coupon").get("coupons_redeemed") == 1
