"""Catalog items from events (pure): the newest statement about each product wins within a request."""

from __future__ import annotations

from collections.abc import Iterable

from winback.models.catalog import CatalogItem
from winback.models.events import ActivityEvent


def items_from_events(events: Iterable[ActivityEvent]) -> list[CatalogItem]:
    newest: dict[str, tuple[ActivityEvent, CatalogItem]] = {}
    for event in events:
        product = event.properties.product
        if product is None:
            continue
        item = CatalogItem.from_product(product)
        known = newest.get(item.item_id)
        if known is None or event.occurred_at >= known[0].occurred_at:
            newest[item.item_id] = (event, item)
    return [item for _, item in newest.values()]
