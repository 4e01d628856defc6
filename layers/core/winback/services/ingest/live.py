"""Live events (POST /events and POST /events/segment) under the program's rules: applied to profiles,
attributed to the campaign a user was assigned to, and the products they describe catalogued.

History (the backfill) goes through `backfill` instead: it neither redeems coupons nor counts as a
reactivation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.audience.catalog import items_from_events
from winback.services.ingest.apply import AttributionRules, apply_events

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.catalog_store import CatalogStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.program import Program
    from winback.domain.measurement.attribution import Attribution
    from winback.models.events import ActivityEvent
    from winback.services.ingest.coupons import CouponRedeemer


def ingest_events(
    events: Sequence[ActivityEvent],
    webhook_id: str,
    store: ActivityStore,
    messaging: MessagingStore,
    coupons: CouponRedeemer,
    program: Program,
    now: datetime | None = None,
    event_ids: Sequence[str] | None = None,
    catalog: CatalogStore | None = None,
) -> dict[str, int]:
    """One request's events; a reactivation (or revenue in the attribution window) is counted in the
    experiment cell of the user's assignment. Products the events describe (`properties.product`) are
    written to the catalog."""
    rules = AttributionRules(program.reactivation_signal(), program.experiments.attribution_window_days)

    def record(found: Attribution) -> None:
        a = found.assignment
        messaging.add_cell(a.campaign_id, None, a.arm, a.segment, found.counts)

    result = apply_events(
        events, webhook_id, store, program.dormancy.signal, rules, record, coupons, now, event_ids
    ).as_dict()
    if catalog is not None:
        products = items_from_events(events)
        if products:
            catalog.put_many(products)
    return result
