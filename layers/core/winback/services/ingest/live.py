"""Live events (POST /events and POST /events/segment) under the program's rules: applied to profiles,
attributed to the campaign a user was assigned to (a reactivation, or revenue in the attribution
window, counted in the experiment cell of the user's assignment), and the products they describe
catalogued.

History (the backfill) goes through `backfill` instead: it neither redeems coupons nor counts as a
reactivation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.audience.catalog import items_from_events
from winback.services.ingest.apply import AttributionRules, LiveDoor, apply_events
from winback.services.ingest.calls import CallsResult, apply_calls

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.catalog_store import CatalogStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.program import Program
    from winback.domain.measurement.attribution import Attribution
    from winback.models.events import ActivityEvent
    from winback.services.ingest.calls import Call
    from winback.services.ingest.coupons import CouponRedeemer


def _rules(program: Program) -> AttributionRules:
    return AttributionRules(program.reactivation_signal(), program.experiments.attribution_window_days)


def _door(
    store: ActivityStore, messaging: MessagingStore, coupons: CouponRedeemer, program: Program, now: datetime | None
) -> LiveDoor:
    return LiveDoor(store, program.dormancy.signal, _rules(program), _recorder(messaging), coupons, now)


def _recorder(messaging: MessagingStore) -> Callable[[Attribution], None]:
    """Counts an attribution (a reactivation, revenue in the window) in its experiment cell."""

    def record(found: Attribution) -> None:
        a = found.assignment
        messaging.add_cell(a.campaign_id, None, a.arm, a.segment, found.counts)

    return record


def _catalogue(events: Sequence[ActivityEvent], catalog: CatalogStore | None) -> None:
    """Products the events describe (`properties.product`) are written to the catalog."""
    if catalog is not None:
        products = items_from_events(events)
        if products:
            catalog.put_many(products)


def ingest_events(
    events: Sequence[ActivityEvent],
    webhook_id: str,
    store: ActivityStore,
    messaging: MessagingStore,
    coupons: CouponRedeemer,
    program: Program,
    now: datetime | None = None,
    catalog: CatalogStore | None = None,
) -> dict[str, int]:
    """One webhook request's events, applied once per (user, request)."""
    result = apply_events(events, webhook_id, _door(store, messaging, coupons, program, now)).as_dict()
    _catalogue(events, catalog)
    return result


def ingest_calls(
    calls: Sequence[Call],
    batch_id: str,
    store: ActivityStore,
    messaging: MessagingStore,
    coupons: CouponRedeemer,
    program: Program,
    now: datetime | None = None,
    catalog: CatalogStore | None = None,
) -> CallsResult:
    """A Segment request's calls, each applied once per (user, call) whatever request carries it."""
    result = apply_calls(calls, batch_id, _door(store, messaging, coupons, program, now))
    _catalogue([c.event for c in calls], catalog)
    return result
