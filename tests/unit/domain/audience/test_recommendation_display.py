"""What a recommendation shows: catalog items by name, out-of-stock ones skipped, unknown ones by id."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from winback.domain.audience.catalog import items_from_events
from winback.domain.audience.recommendations import Recommendation, for_display
from winback.models.catalog import CatalogItem, Product
from winback.models.events import ActivityEvent

PICKS = [Recommendation(f"sku-{i}", "shoes", "popular") for i in range(6)]


def test_an_out_of_stock_item_is_skipped_and_the_next_pick_takes_its_place() -> None:
    """Guard: `in_stock: false` in the catalog keeps an item out of the message."""
    catalog = {"sku-0": CatalogItem(item_id="sku-0", name="Gone", in_stock=False)}
    shown = for_display(PICKS, catalog, 3)
    assert [s.pick.item_id for s in shown] == ["sku-1", "sku-2", "sku-3"]


def test_an_unknown_item_falls_back_to_its_id() -> None:
    """Guard: an item the catalog does not know is still shown (item None: id and category)."""
    catalog = {"sku-1": CatalogItem(item_id="sku-1", name="Trail Runner")}
    shown = for_display(PICKS, catalog, 2)
    assert [(s.pick.item_id, s.item.name if s.item else None) for s in shown] == [
        ("sku-0", None),
        ("sku-1", "Trail Runner"),
    ]


@given(st.lists(st.booleans(), min_size=0, max_size=6), st.integers(0, 6))
def test_never_more_than_count_and_never_out_of_stock(stock: list[bool], count: int) -> None:
    catalog = {f"sku-{i}": CatalogItem(item_id=f"sku-{i}", in_stock=ok) for i, ok in enumerate(stock)}
    shown = for_display(PICKS, catalog, count)
    assert len(shown) <= count
    assert all(s.item is None or s.item.in_stock for s in shown)


def test_a_segment_product_becomes_a_catalog_item_in_minor_units() -> None:
    # The Segment e-commerce spec's `Product Viewed` properties, verbatim (brand, variant ignored).
    product = Product.model_validate(
        {
            "product_id": "507f1f77bcf86cd799439011",
            "sku": "G-32",
            "category": "Games",
            "name": "Monopoly: 3rd Edition",
            "brand": "Hasbro",
            "variant": "200 pieces",
            "price": 18.99,
            "quantity": 1,
            "coupon": "MAYDEALS",
            "currency": "USD",
            "position": 3,
            "value": 18.99,
            "url": "https://www.example.com/product/path",
            "image_url": "https://www.example.com/product/path.jpg",
        }
    )
    item = CatalogItem.from_product(product)
    assert (item.item_id, item.price_minor, item.currency, item.in_stock) == (
        "507f1f77bcf86cd799439011",
        1899,
        "USD",
        True,
    )


def test_a_price_without_currency_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="currency"):
        Product.model_validate({"sku": "G-32", "price": "1.00"})


def test_a_product_on_a_login_event_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"properties\.product belongs on view and order"):
        ActivityEvent.model_validate(
            {
                "user_id": "u1",
                "type": "login",
                "occurred_at": "2026-06-01T10:00:00Z",
                "properties": {"product": {"sku": "a"}},
            }
        )


def test_a_view_event_with_a_product_names_its_item_and_the_newest_statement_wins() -> None:
    def view(at: str, price: str) -> ActivityEvent:
        return ActivityEvent.model_validate(
            {
                "user_id": "u1",
                "type": "view",
                "occurred_at": at,
                "properties": {"product": {"sku": "G-32", "category": "Games", "price": price, "currency": "USD"}},
            }
        )

    newer, older = view("2026-06-02T10:00:00Z", "17.00"), view("2026-06-01T10:00:00Z", "19.00")
    assert (newer.properties.item_id, newer.properties.category) == ("G-32", "Games")
    [item] = items_from_events([newer, older])
    assert item.price_minor == 1700
    assert Decimal(item.price_minor) / 100 == Decimal("17")
    assert datetime(2026, 6, 2, tzinfo=UTC) < newer.occurred_at
