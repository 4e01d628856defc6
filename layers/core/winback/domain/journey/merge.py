"""Folding a request's events for one user into that user's profile (pure; no AWS)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from winback.domain.journey.send_time import count_hour
from winback.domain.money import minor_units
from winback.models.events import ActivityEvent
from winback.models.profile import BOUGHT_ITEMS_CAP, CATEGORY_CAP, RECENT_BATCHES_CAP, RECENT_ITEMS_CAP, Profile


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _newer(p: Profile, field: str, at: datetime) -> bool:
    """Whether a statement about `field` made at `at` is at least as new as the stored one (and record it)."""
    stored = p.updated_at.get(field)
    if stored is not None and at < stored:
        return False
    p.updated_at[field] = at
    return True


def merge_events(profile: Profile, events: Iterable[ActivityEvent], batch_id: str, signal: str) -> Profile:
    """The profile after `events`. Timestamps only move forward; counters add; lists stay capped.

    `signal` is the dormancy signal: when it advances, the user is active again and leaves their tier.
    """
    p = profile.model_copy(deep=True)
    before_signal = p.signal_at(signal)
    for event in sorted(events, key=lambda e: e.occurred_at):
        _add_activity(p, event)
        _add_order(p, event)
        if event.properties.item_id:
            _add_item(p, event.properties.item_id, event.properties.category, bought=event.type == "order")
        if event.properties.category:
            _add_category(p, event.properties.category)
        _add_statements(p, event)
        # After the statements: an event that sets the user's time zone is counted on that clock.
        p.active_hours = count_hour(p.active_hours, event.occurred_at, p.time_zone)
    after_signal = p.signal_at(signal)
    if after_signal is not None and after_signal != before_signal:
        p.tier = None
        p.tier_entered_at = None
    p.recent_batches = [batch_id, *p.recent_batches][:RECENT_BATCHES_CAP]
    return p


def _add_activity(p: Profile, event: ActivityEvent) -> None:
    at = event.occurred_at
    p.first_seen_at = at if p.first_seen_at is None or at < p.first_seen_at else p.first_seen_at
    p.last_seen_at = _later(p.last_seen_at, at)
    p.last_event_at[event.type] = _later(p.last_event_at.get(event.type), at)
    p.event_counts[event.type] = p.event_counts.get(event.type, 0) + 1


def _add_order(p: Profile, event: ActivityEvent) -> None:
    props = event.properties
    if event.type == "order" and props.amount is not None and props.currency is not None:
        p.orders += 1
        if p.first_order_at is None or event.occurred_at < p.first_order_at:
            p.first_order_at = event.occurred_at
        p.spend_minor[props.currency] = p.spend_minor.get(props.currency, 0) + minor_units(props.amount, props.currency)


def _add_item(p: Profile, item_id: str, category: str | None, bought: bool) -> None:
    p.recent_items = [item_id, *[i for i in p.recent_items if i != item_id]][:RECENT_ITEMS_CAP]
    if category:
        p.item_category[item_id] = category
    p.item_category = {i: p.item_category[i] for i in p.recent_items if i in p.item_category}
    if bought:
        p.bought_items = [item_id, *[i for i in p.bought_items if i != item_id]][:BOUGHT_ITEMS_CAP]


def _add_category(p: Profile, category: str) -> None:
    p.category_counts[category] = p.category_counts.get(category, 0) + 1
    if len(p.category_counts) > CATEGORY_CAP:
        top = sorted(p.category_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:CATEGORY_CAP]
        p.category_counts = dict(top)


def _add_statements(p: Profile, event: ActivityEvent) -> None:
    """Contact details and consent: the newest statement wins, whatever order events arrive in,
    so a delayed old "consent: true" never re-grants consent withdrawn since."""
    at, props = event.occurred_at, event.properties
    for field in ("name", "email", "phone", "push_endpoint", "locale", "time_zone"):
        value = getattr(props, field)
        if value is not None and _newer(p, field, at):
            setattr(p, field, value)
    if props.consent is not None:
        for channel, granted in props.consent.model_dump(exclude_none=True).items():
            if _newer(p, f"consent.{channel}", at):
                p.consent[channel] = granted
