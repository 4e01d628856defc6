"""The histogram of active hours rides the ingest merge on each door and inherits its idempotency: a
retried webhook request or a Segment call resent in another request counts once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.unit.services.ingest.memory import MemoryActivity
from winback.models.events import ActivityEvent
from winback.services.ingest.apply import AttributionRules, LiveDoor, apply_events
from winback.services.ingest.calls import Call, apply_calls

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
RULES = AttributionRules(signal="order", window_days=14)


class NoCoupons:
    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Any:
        raise AssertionError("no order in these tests carries a coupon code")


def view(user_id: str = "u1") -> ActivityEvent:
    return ActivityEvent.model_validate(
        {"user_id": user_id, "type": "view", "occurred_at": NOW, "properties": {"time_zone": "Asia/Shanghai"}}
    )


def test_a_retried_webhook_request_counts_its_hours_once() -> None:
    """Guard: the (user, request) marker of apply_events (the merge is not run for an applied request)."""
    store = MemoryActivity()
    for _ in range(2):
        apply_events([view(), view()], "req-1", LiveDoor(store, "order", RULES, lambda found: None, NoCoupons(), NOW))
    assert store.writes == 1
    hours = store.profiles["u1"].active_hours
    assert hours[20] == 2 and sum(hours) == 2


def test_a_segment_call_resent_in_another_request_counts_its_hour_once() -> None:
    """Guard: the (user, call) marker of apply_calls."""
    store = MemoryActivity()
    call = Call(view(), "page:m-1", 0)
    apply_calls([call], "req-1", LiveDoor(store, "order", RULES, lambda found: None, NoCoupons(), NOW))
    apply_calls([call], "req-2", LiveDoor(store, "order", RULES, lambda found: None, NoCoupons(), NOW))
    hours = store.profiles["u1"].active_hours
    assert hours[20] == 1 and sum(hours) == 1
