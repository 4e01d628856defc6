"""Applying webhook events to profiles (services/ingest/apply.py), against an in-memory store: one
write per user, a request applied once, a conflict re-read, and an attribution counted only once its
write succeeded. Events that name themselves (Segment's calls) are tests/unit/services/ingest/test_calls.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.services.ingest.memory import MemoryActivity
from winback.domain.measurement.attribution import Attribution
from winback.models.events import ActivityEvent
from winback.models.profile import Assignment, Profile
from winback.services.ingest.apply import AttributionRules, LiveDoor, ProfileContention, apply_events

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = AttributionRules(signal="order", window_days=14)


class NoCoupons:
    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Any:
        raise AssertionError("no order in these tests carries a coupon code")


def view(user_id: str, at: datetime = NOW) -> ActivityEvent:
    return ActivityEvent(user_id=user_id, type="view", occurred_at=at)


def order(user_id: str, at: datetime = NOW) -> ActivityEvent:
    return ActivityEvent.model_validate(
        {"user_id": user_id, "type": "order", "occurred_at": at, "properties": {"amount": "12.50", "currency": "USD"}}
    )


def apply(
    store: MemoryActivity,
    events: list[ActivityEvent],
    batch_id: str = "req-1",
    recorded: list[Attribution] | None = None,
) -> dict[str, int]:
    record = (recorded if recorded is not None else []).append
    return apply_events(events, batch_id, LiveDoor(store, "order", RULES, record, NoCoupons(), NOW)).as_dict()


def test_one_write_per_user_whatever_the_number_of_events() -> None:
    store = MemoryActivity()
    result = apply(store, [view("u1"), order("u1"), view("u2")])
    assert result == {
        "events": 3,
        "users": 2,
        "applied": 2,
        "already_applied": 0,
        "reactivated": 0,
        "coupons_redeemed": 0,
        "coupons_rejected": 0,
    }
    assert store.writes == 2
    u1 = store.profiles["u1"]
    assert (u1.version, u1.orders, u1.recent_batches) == (1, 1, ["req-1"])


def test_a_retried_request_applies_nothing_twice() -> None:
    store = MemoryActivity()
    apply(store, [order("u1")])
    again = apply(store, [order("u1")])
    assert (again["applied"], again["already_applied"]) == (0, 1)
    assert store.profiles["u1"].orders == 1


def test_a_conflict_is_re_read_and_written_again() -> None:
    store = MemoryActivity(Profile(user_id="u1", version=3, orders=2), conflicts=2)
    result = apply(store, [order("u1")])
    assert result["applied"] == 1
    assert (store.profiles["u1"].version, store.profiles["u1"].orders) == (4, 3)


def test_a_profile_that_keeps_changing_fails_the_request() -> None:
    store = MemoryActivity(conflicts=100)
    with pytest.raises(ProfileContention):
        apply(store, [order("u1")])


def test_a_reactivation_is_recorded_once_its_write_succeeded() -> None:
    assignment = Assignment(
        campaign_id="c1", arm="A", segment="loyal", tier="t90", episode="e", assigned_at=NOW - timedelta(days=2)
    )
    store = MemoryActivity(Profile(user_id="u1", version=1, assignment=assignment))
    recorded: list[Attribution] = []
    result = apply(store, [order("u1")], recorded=recorded)
    assert result["reactivated"] == 1
    assert [a.counts["reactivated"] for a in recorded] == [1]
    stored = store.profiles["u1"].assignment
    assert stored is not None and stored.reactivated_at == NOW
    apply(store, [order("u1")], recorded=recorded)  # the same request again: nothing more is counted
    assert len(recorded) == 1
