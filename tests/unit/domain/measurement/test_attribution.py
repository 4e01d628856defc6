"""domain/measurement/attribution.py: what counts as coming back, and when."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from winback.domain.measurement.attribution import attribute
from winback.models.events import ActivityEvent
from winback.models.profile import Assignment

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ASSIGNED = Assignment(campaign_id="c", arm="holdout", segment="loyal", tier="dormant", episode="e", assigned_at=AT)


def _event(kind: str, days: float, **properties: Any) -> ActivityEvent:
    return ActivityEvent.model_validate(
        {"user_id": "u1", "type": kind, "occurred_at": AT + timedelta(days=days), "properties": properties}
    )


def test_no_assignment_means_nothing_to_attribute() -> None:
    assert attribute(None, [_event("order", 1, amount="5", currency="USD")], "order", 14) is None


def test_the_first_signal_in_the_window_reactivates_with_its_day() -> None:
    found = attribute(ASSIGNED, [_event("order", 3.5, amount="12.50", currency="USD")], "order", 14)
    assert found is not None
    assert found.assignment.reactivated_at == AT + timedelta(days=3.5)
    assert found.counts == {
        "reactivated": 1,
        "react_day_3": 1,
        "orders": 1,
        "revenue_minor_USD": 1250,
        "revenue_sq_minor_USD": 1250**2,
    }


def test_events_before_assignment_or_after_the_window_do_not_count() -> None:
    events = [_event("order", -1, amount="5", currency="USD"), _event("order", 14.01, amount="5", currency="USD")]
    assert attribute(ASSIGNED, events, "order", 14) is None


def test_another_event_type_is_not_the_signal() -> None:
    assert attribute(ASSIGNED, [_event("login", 1)], "order", 14) is None
    found = attribute(ASSIGNED, [_event("login", 1)], "any", 14)
    assert found is not None and found.counts["reactivated"] == 1


def test_a_profile_update_is_not_activity_even_for_any() -> None:
    assert attribute(ASSIGNED, [_event("profile", 1, name="Ada")], "any", 14) is None


def test_a_user_reactivated_before_adds_revenue_not_a_second_return() -> None:
    before = ASSIGNED.model_copy(update={"reactivated_at": AT + timedelta(days=1)})
    found = attribute(before, [_event("order", 2, amount="3", currency="CNY", coupon_code="WB-1")], "order", 14)
    assert found is not None
    assert found.counts == {"orders": 1, "revenue_minor_CNY": 300, "revenue_sq_minor_CNY": 300**2}
    assert found.coupon_codes == ("WB-1",)
    assert found.assignment.reactivated_at == AT + timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["USD", "CNY"]), st.integers(1, 50_000), st.integers(0, 3)),
        max_size=12,
    )
)
def test_the_squares_counter_sums_each_users_total_squared_however_orders_are_batched(
    orders: list[tuple[int, str, int, int]],
) -> None:
    """Guard: the running total on the assignment (`revenue_minor`) makes each batch add (t+a)^2 - t^2."""
    users = {n: ASSIGNED for n in range(3)}
    squares: Counter[str] = Counter()
    totals: dict[int, Counter[str]] = {n: Counter() for n in range(3)}
    for batch in range(4):
        for user in range(3):
            events = [
                _event("order", 1 + i / 100, amount=f"{cents / 100:.2f}", currency=cur)
                for i, (who, cur, cents, when) in enumerate(orders)
                if who == user and when == batch
            ]
            found = attribute(users[user], events, "order", 14)
            if found is None:
                continue
            users[user] = found.assignment
            squares.update({k: v for k, v in found.counts.items() if k.startswith("revenue_sq_minor_")})
            for who, cur, cents, when in orders:
                if who == user and when == batch:
                    totals[user][cur] += cents
    expected: Counter[str] = Counter()
    for per_user in totals.values():
        for cur, total in per_user.items():
            expected[f"revenue_sq_minor_{cur}"] += total**2
    assert +squares == +expected
