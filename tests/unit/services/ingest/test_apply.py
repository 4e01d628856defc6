"""Applying live events to profiles (services/ingest/apply.py), against an in-memory store: one write
per user, a request or an event applied once, a conflict re-read, and an attribution counted only
once its write succeeded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from winback.adapters.activity_store import ActivityStore, Applied
from winback.domain.measurement.attribution import Attribution
from winback.models.events import ActivityEvent
from winback.models.profile import Assignment, Profile
from winback.services.ingest.apply import AttributionRules, ProfileContention, apply_events

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = AttributionRules(signal="order", window_days=14)


class MemoryActivity(ActivityStore):
    """Profiles and (user, request) markers; `conflicts` writes fail as if someone wrote meanwhile."""

    def __init__(self, *profiles: Profile, conflicts: int = 0) -> None:
        super().__init__("memory")
        self.profiles = {p.user_id: p for p in profiles}
        self.markers: set[tuple[str, str]] = set()
        self.conflicts = conflicts
        self.writes = 0

    def get(self, user_id: str) -> Profile | None:
        profile = self.profiles.get(user_id)
        return profile.model_copy(deep=True) if profile else None

    def get_many(self, user_ids: Any) -> dict[str, Profile]:
        return {u: p for u in user_ids if (p := self.get(u)) is not None}

    def put_applying(self, profile: Profile, expected_version: int, webhook_id: str, now: datetime) -> Applied:
        if (profile.user_id, webhook_id) in self.markers:
            return Applied.ALREADY
        stored = self.profiles.get(profile.user_id)
        if self.conflicts or (stored.version if stored else 0) != expected_version:
            self.conflicts = max(0, self.conflicts - 1)
            return Applied.CONFLICT
        self.profiles[profile.user_id] = profile
        self.markers.add((profile.user_id, webhook_id))
        self.writes += 1
        return Applied.WRITTEN


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
    event_ids: list[str] | None = None,
    recorded: list[Attribution] | None = None,
) -> dict[str, int]:
    record = (recorded if recorded is not None else []).append
    return apply_events(events, batch_id, store, "order", RULES, record, NoCoupons(), NOW, event_ids).as_dict()


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


def test_an_event_resent_in_another_request_counts_once() -> None:
    store = MemoryActivity()
    apply(store, [order("u1")], batch_id="req-1", event_ids=["evt-1"])
    later = apply(store, [order("u1"), view("u1")], batch_id="req-2", event_ids=["evt-1", "evt-2"])
    assert (later["applied"], later["already_applied"]) == (1, 0)
    assert store.profiles["u1"].orders == 1
    assert store.profiles["u1"].event_counts == {"order": 1, "view": 1}


def test_an_event_twice_in_one_request_counts_once() -> None:
    store = MemoryActivity()
    apply(store, [order("u1"), order("u1")], event_ids=["evt-1", "evt-1"])
    assert store.profiles["u1"].orders == 1


def test_a_request_whose_events_were_all_applied_writes_nothing() -> None:
    store = MemoryActivity()
    apply(store, [order("u1")], batch_id="req-1", event_ids=["evt-1"])
    later = apply(store, [order("u1")], batch_id="req-2", event_ids=["evt-1"])
    assert (later["applied"], later["already_applied"], store.writes) == (0, 1, 1)


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
