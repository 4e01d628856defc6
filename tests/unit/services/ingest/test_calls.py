"""Applying calls that name themselves (services/ingest/calls.py), against an in-memory store: each call
once per user whatever request carries it, a messageId reused for another statement told apart from
a resend, and a user's many calls written a transaction's worth at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.services.ingest.memory import MemoryActivity
from winback.models.events import ActivityEvent
from winback.models.profile import Profile
from winback.services.ingest.apply import AttributionRules, LiveDoor, ProfileContention
from winback.services.ingest.calls import CALLS_PER_WRITE, Call, apply_calls

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = AttributionRules(signal="order", window_days=14)


class NoCoupons:
    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Any:
        raise AssertionError("no order in these tests carries a coupon code")


def view(user_id: str, message_id: str, item: str = "sku-1") -> Call:
    event = ActivityEvent.model_validate(
        {"user_id": user_id, "type": "view", "occurred_at": NOW, "properties": {"item_id": item}}
    )
    return Call(event, f"page:{message_id}", 0)


def order(user_id: str, message_id: str, amount: str = "12.50") -> Call:
    event = ActivityEvent.model_validate(
        {"user_id": user_id, "type": "order", "occurred_at": NOW, "properties": {"amount": amount, "currency": "USD"}}
    )
    return Call(event, f"track:{message_id}", 0)


def apply(store: MemoryActivity, calls: list[Call], batch_id: str = "req-1") -> dict[str, int]:
    return apply_calls(calls, batch_id, LiveDoor(store, "order", RULES, lambda found: None, NoCoupons(), NOW)).counts()


def test_a_call_resent_in_another_request_counts_once() -> None:
    store = MemoryActivity()
    apply(store, [order("u1", "m-1")], batch_id="req-1")
    later = apply(store, [order("u1", "m-1"), view("u1", "m-2")], batch_id="req-2")
    assert (later["applied"], later["already_applied"], later["duplicates"]) == (1, 0, 1)
    assert store.profiles["u1"].orders == 1
    assert store.profiles["u1"].event_counts == {"order": 1, "view": 1}


def test_an_order_resent_after_many_other_calls_still_counts_once() -> None:
    """Guard: the (user, call) marker, not a window of the user's last calls (the profile kept the
    last 50 call ids: an order re-sent after 50 page views in other requests counted twice)."""
    store = MemoryActivity()
    apply(store, [order("u1", "order-1")], batch_id="req-0")
    for n in range(6):
        apply(store, [view("u1", f"pv-{n}-{i}") for i in range(10)], batch_id=f"req-{n + 1}")
    again = apply(store, [order("u1", "order-1")], batch_id="req-9")
    assert (again["applied"], again["duplicates"]) == (0, 1)
    assert (store.profiles["u1"].orders, store.profiles["u1"].spend_minor) == (1, {"USD": 1250})


def test_a_call_twice_in_one_request_counts_once() -> None:
    store = MemoryActivity()
    result = apply(store, [order("u1", "m-1"), order("u1", "m-1")])
    assert (result["duplicates"], result["message_id_reused"], store.profiles["u1"].orders) == (1, 0, 1)


def test_a_request_whose_calls_were_all_applied_writes_nothing() -> None:
    store = MemoryActivity()
    apply(store, [order("u1", "m-1")], batch_id="req-1")
    later = apply(store, [order("u1", "m-1")], batch_id="req-2")
    assert (later["applied"], later["already_applied"], store.writes) == (0, 1, 1)


def test_the_same_body_again_is_left_alone_without_a_write() -> None:
    store = MemoryActivity()
    apply(store, [order("u1", "m-1")])
    again = apply(store, [order("u1", "m-1")])
    assert (again["already_applied"], again["duplicates"], store.transactions) == (1, 1, [1])


def test_a_message_id_reused_for_another_statement_is_counted_and_the_first_stands() -> None:
    """Guard: the digest each marker keeps (_Tally.duplicate): a resend and a reuse are both dropped,
    only the reuse is counted, with its position in the request."""
    store = MemoryActivity()
    apply(store, [order("u1", "m-1", "12.50")], batch_id="req-1")
    calls = [view("u1", "m-2"), order("u1", "m-1", "99.00")]
    calls = [Call(c.event, c.key, i) for i, c in enumerate(calls)]
    result = apply_calls(calls, "req-2", LiveDoor(store, "order", RULES, lambda found: None, NoCoupons(), NOW))
    assert (result.duplicates, result.message_id_reused, result.reused_at) == (1, 1, (1,))
    resent = apply(store, [order("u1", "m-1", "12.50")], batch_id="req-3")
    assert (resent["duplicates"], resent["message_id_reused"]) == (1, 0)
    assert store.profiles["u1"].spend_minor == {"USD": 1250}


def test_a_message_id_reused_within_one_request_is_counted() -> None:
    store = MemoryActivity()
    result = apply(store, [order("u1", "m-1", "12.50"), order("u1", "m-1", "99.00")])
    assert (result["duplicates"], result["message_id_reused"]) == (1, 1)
    assert store.profiles["u1"].spend_minor == {"USD": 1250}


def test_many_calls_of_one_user_go_a_transaction_at_a_time() -> None:
    store = MemoryActivity()
    n = 2 * CALLS_PER_WRITE + 5
    result = apply(store, [view("u1", f"pv-{i}", item=f"sku-{i}") for i in range(n)])
    assert (result["applied"], store.transactions) == (1, [CALLS_PER_WRITE, CALLS_PER_WRITE, 5])
    profile = store.profiles["u1"]
    assert (profile.version, profile.event_counts, profile.recent_batches) == (3, {"view": n}, ["req-1"])


def test_a_conflict_between_chunks_is_re_read_and_the_rest_written() -> None:
    store = MemoryActivity(Profile(user_id="u1", version=4, orders=2))
    calls = [order("u1", f"o-{i}") for i in range(CALLS_PER_WRITE + 1)]

    store.conflicts = 1
    result = apply(store, calls)
    assert result["applied"] == 1
    assert store.profiles["u1"].orders == 2 + CALLS_PER_WRITE + 1


def test_a_profile_that_keeps_changing_fails_the_request() -> None:
    store = MemoryActivity(conflicts=100)
    with pytest.raises(ProfileContention):
        apply(store, [order("u1", "m-1")])
