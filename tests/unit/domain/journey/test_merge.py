"""domain/journey/merge.py: folding a request's events into a user's profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from winback.domain.journey.merge import merge_events
from winback.domain.money import minor_units
from winback.models.events import ActivityEvent
from winback.models.profile import CATEGORY_CAP, RECENT_BATCHES_CAP, RECENT_ITEMS_CAP, Profile

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def t(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def event(kind: str, at: datetime, **properties: Any) -> ActivityEvent:
    if kind == "order":
        properties.setdefault("amount", "10.00")
        properties.setdefault("currency", "USD")
    return ActivityEvent.model_validate(
        {"user_id": "u1", "type": kind, "occurred_at": at.isoformat(), "properties": properties}
    )


def merge(profile: Profile, *events: ActivityEvent, signal: str = "order", batch: str = "b1") -> Profile:
    return merge_events(profile, events, batch, signal)


def test_first_event_sets_first_seen_last_seen_and_counts() -> None:
    p = merge(Profile(user_id="u1"), event("signup", t(0)))
    assert p.first_seen_at == t(0)
    assert p.last_seen_at == t(0)
    assert p.last_event_at == {"signup": t(0)}
    assert p.event_counts == {"signup": 1}


def test_older_event_never_moves_last_seen_or_last_event_backwards() -> None:
    current = merge(Profile(user_id="u1"), event("login", t(10)), event("order", t(5)))
    p = merge(current, event("login", t(1)), event("order", t(2)), batch="b2")
    assert p.last_seen_at == t(10)
    assert p.last_event_at["login"] == t(10)
    assert p.last_event_at["order"] == t(5)
    assert p.event_counts == {"login": 2, "order": 2}


def test_older_event_moves_first_seen_earlier() -> None:
    current = merge(Profile(user_id="u1"), event("login", t(10)))
    p = merge(current, event("view", t(-3)), batch="b2")
    assert p.first_seen_at == t(-3)
    assert p.last_seen_at == t(10)


def test_events_out_of_order_in_one_batch_are_applied_in_time_order() -> None:
    p = merge(
        Profile(user_id="u1"),
        event("view", t(3), item_id="i3", email="new@example.com"),
        event("view", t(1), item_id="i1", email="old@example.com"),
        event("view", t(2), item_id="i2"),
    )
    assert p.first_seen_at == t(1)
    assert p.last_seen_at == t(3)
    assert p.last_event_at == {"view": t(3)}
    assert p.recent_items == ["i3", "i2", "i1"]
    assert p.email == "new@example.com"


def test_orders_and_spend_add_up_per_currency_in_minor_units() -> None:
    current = Profile(user_id="u1", orders=1, spend_minor={"USD": 500})
    p = merge(
        current,
        event("order", t(1), amount="19.99", currency="USD"),
        event("order", t(2), amount="1500", currency="JPY"),
        event("order", t(3), amount="0.01", currency="USD"),
    )
    assert p.orders == 4
    assert p.spend_minor == {"USD": 500 + 1999 + 1, "JPY": 1500}


def test_non_order_events_do_not_count_as_orders() -> None:
    p = merge(Profile(user_id="u1"), event("view", t(1), amount="5.00", currency="USD"))
    assert p.orders == 0
    assert p.spend_minor == {}


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("19.99", "USD", 1999),
        ("0", "EUR", 0),
        ("0.005", "USD", 1),
        ("0.0049", "USD", 0),
        ("10.0050", "EUR", 1001),
        ("1500", "JPY", 1500),
        ("1500.5", "JPY", 1501),
        ("1499.4", "JPY", 1499),
        ("12000", "KRW", 12000),
        ("10000000", "USD", 1_000_000_000),
    ],
)
def test_minor_units_handles_zero_decimal_currencies_and_rounds_half_up(
    amount: str, currency: str, expected: int
) -> None:
    assert minor_units(Decimal(amount), currency) == expected


def test_recent_items_are_deduplicated_most_recent_first() -> None:
    current = Profile(user_id="u1", recent_items=["a", "b", "c"])
    p = merge(current, event("view", t(1), item_id="c"), event("view", t(2), item_id="b"))
    assert p.recent_items == ["b", "c", "a"]


def test_recent_items_are_capped() -> None:
    current = Profile(user_id="u1", recent_items=[f"old{i}" for i in range(RECENT_ITEMS_CAP)])
    p = merge(current, event("view", t(1), item_id="new"))
    assert RECENT_ITEMS_CAP == 20
    assert len(p.recent_items) == RECENT_ITEMS_CAP
    assert p.recent_items[0] == "new"
    assert f"old{RECENT_ITEMS_CAP - 1}" not in p.recent_items
    assert p.recent_items[1:] == [f"old{i}" for i in range(RECENT_ITEMS_CAP - 1)]


def test_many_items_in_one_batch_stay_capped() -> None:
    events = [event("view", t(i), item_id=f"i{i}") for i in range(30)]
    p = merge(Profile(user_id="u1"), *events)
    assert p.recent_items == [f"i{i}" for i in range(29, 9, -1)]


def test_category_counts_increment() -> None:
    current = Profile(user_id="u1", category_counts={"shoes": 2})
    p = merge(current, event("view", t(1), category="shoes"), event("view", t(2), category="hats"))
    assert p.category_counts == {"shoes": 3, "hats": 1}


def test_category_cap_keeps_the_most_frequent() -> None:
    counts = {f"c{i:02d}": 5 for i in range(CATEGORY_CAP - 1)} | {"rare": 1}
    current = Profile(user_id="u1", category_counts=counts)
    p = merge(current, event("view", t(1), category="new"), event("view", t(2), category="new"))
    assert len(p.category_counts) == CATEGORY_CAP
    assert p.category_counts["new"] == 2
    assert "rare" not in p.category_counts


def test_profile_fields_are_applied() -> None:
    arn = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/App/abc"
    p = merge(
        Profile(user_id="u1"),
        event(
            "profile",
            t(1),
            name="Ada",
            email="Ada@Example.com",
            phone="+86 138 0013 8000",
            push_endpoint=arn,
            locale="zh-CN",
            time_zone="Asia/Shanghai",
            consent={"email": True, "sms": True},
        ),
    )
    assert (p.name, p.email, p.phone, p.push_endpoint, p.locale, p.time_zone) == (
        "Ada",
        "ada@example.com",
        "+8613800138000",
        arn,
        "zh-CN",
        "Asia/Shanghai",
    )
    assert p.consent == {"email": True, "sms": True}


def test_absent_fields_keep_existing_values_and_consent_merges_per_channel() -> None:
    current = Profile(user_id="u1", name="Ada", email="ada@example.com", consent={"email": True, "sms": True})
    p = merge(current, event("profile", t(1), consent={"sms": False, "push": True}))
    assert p.name == "Ada"
    assert p.email == "ada@example.com"
    assert p.consent == {"email": True, "sms": False, "push": True}


def test_newest_field_value_wins_within_a_batch() -> None:
    p = merge(
        Profile(user_id="u1"),
        event("profile", t(2), locale="en"),
        event("profile", t(1), locale="zh-CN"),
    )
    assert p.locale == "en"


def dormant(**extra: Any) -> Profile:
    return Profile(
        user_id="u1",
        first_seen_at=t(-5000),
        last_seen_at=t(-2000),
        last_event_at={"order": t(-2000), "login": t(-2000)},
        tier="dormant",
        tier_entered_at=t(-100),
        **extra,
    )


def test_order_clears_tier_when_signal_is_order() -> None:
    p = merge(dormant(), event("order", t(0)), signal="order")
    assert p.tier is None
    assert p.tier_entered_at is None


def test_login_does_not_clear_tier_when_signal_is_order() -> None:
    p = merge(dormant(), event("login", t(0)), signal="order")
    assert p.tier == "dormant"
    assert p.tier_entered_at == t(-100)


def test_login_clears_tier_when_signal_is_login() -> None:
    p = merge(dormant(), event("login", t(0)), signal="login")
    assert p.tier is None


def test_any_event_clears_tier_when_signal_is_any() -> None:
    p = merge(dormant(), event("view", t(0)), signal="any")
    assert p.tier is None


def test_older_order_does_not_clear_tier() -> None:
    p = merge(dormant(), event("order", t(-3000)), signal="order")
    assert p.tier == "dormant"
    assert p.last_event_at["order"] == t(-2000)


def test_first_ever_order_clears_tier_of_never_ordered_user() -> None:
    current = Profile(
        user_id="u1", first_seen_at=t(-5000), last_event_at={"signup": t(-5000)}, tier="lapsing", tier_entered_at=t(-1)
    )
    p = merge(current, event("order", t(0)), signal="order")
    assert p.tier is None


def test_batch_id_recorded_most_recent_first_and_capped() -> None:
    current = Profile(user_id="u1", recent_batches=[f"b{i}" for i in range(RECENT_BATCHES_CAP)])
    p = merge(current, event("view", t(0)), batch="new")
    assert RECENT_BATCHES_CAP == 10
    assert p.recent_batches == ["new", *[f"b{i}" for i in range(RECENT_BATCHES_CAP - 1)]]


def test_merge_does_not_mutate_the_input_profile() -> None:
    current = dormant(recent_items=["a"], consent={"email": True})
    before = current.model_dump()
    merge(current, event("order", t(0), item_id="b"), event("profile", t(1), consent={"email": False}))
    assert current.model_dump() == before


def test_a_delayed_older_consent_grant_does_not_undo_a_newer_withdrawal() -> None:
    newer = ActivityEvent.model_validate(
        {
            "user_id": "u1",
            "type": "profile",
            "occurred_at": "2026-05-02T00:00:00Z",
            "properties": {"consent": {"email": False}, "email": "new@example.com"},
        }
    )
    older = ActivityEvent.model_validate(
        {
            "user_id": "u1",
            "type": "profile",
            "occurred_at": "2026-05-01T00:00:00Z",
            "properties": {"consent": {"email": True}, "email": "old@example.com"},
        }
    )
    first = merge_events(Profile(user_id="u1"), [newer], "b1", "order")
    second = merge_events(first, [older], "b2", "order")
    assert second.consent["email"] is False
    assert second.email == "new@example.com"


def test_orders_are_remembered_as_bought_items_with_their_category() -> None:
    from winback.domain.journey.merge import merge_events
    from winback.models.events import ActivityEvent
    from winback.models.profile import Profile

    view = ActivityEvent.model_validate(
        {
            "user_id": "u1",
            "type": "view",
            "occurred_at": "2026-01-01T00:00:00Z",
            "properties": {"item_id": "sku-1", "category": "shoes"},
        }
    )
    order = ActivityEvent.model_validate(
        {
            "user_id": "u1",
            "type": "order",
            "occurred_at": "2026-01-02T00:00:00Z",
            "properties": {"item_id": "sku-2", "category": "bags", "amount": "10", "currency": "USD"},
        }
    )
    merged = merge_events(Profile(user_id="u1"), [view, order], "b1", "order")
    assert merged.recent_items == ["sku-2", "sku-1"]
    assert merged.item_category == {"sku-1": "shoes", "sku-2": "bags"}
    assert merged.bought_items == ["sku-2"]


def test_the_first_order_time_is_kept_for_bgnbd_and_only_moves_earlier() -> None:
    p = merge(Profile(user_id="u1"), event("login", t(0)), event("order", t(5)), event("order", t(9)))
    assert p.first_order_at == t(5)  # the login before it is not an order
    p = merge(p, event("order", t(2)), event("order", t(20)), batch="b2")
    assert p.first_order_at == t(2)
    assert Profile.from_item(p.to_item()).first_order_at == t(2)
