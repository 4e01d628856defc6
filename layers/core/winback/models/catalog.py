"""Catalog items: what a recommendation shows (name, image, price, link), from the Segment
e-commerce spec's product properties on events and from catalog files imported with the backfill."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from winback.domain.money import minor_units

ITEM_ID = Field(None, min_length=1, max_length=128)


class Product(BaseModel):
    """The Segment e-commerce spec's product properties (`Product Viewed`, `products[]` of
    `Order Completed`); fields of the spec this product does not use (brand, variant, quantity...)
    are ignored. `in_stock` is ours (default true)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    product_id: str | None = ITEM_ID
    sku: str | None = ITEM_ID
    name: str | None = Field(None, min_length=1, max_length=256)
    category: str | None = Field(None, min_length=1, max_length=64)
    price: Decimal | None = Field(None, ge=0, le=Decimal("10000000"), decimal_places=4)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    image_url: str | None = Field(None, pattern=r"^https://[^\s]+$", max_length=2048)
    url: str | None = Field(None, pattern=r"^https?://[^\s]+$", max_length=2048)
    in_stock: bool = True

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if not (self.product_id or self.sku):
            raise ValueError("a product needs product_id or sku")
        if self.price is not None and self.currency is None:
            raise ValueError("a product's price needs its currency")
        return self

    @property
    def item_id(self) -> str:
        return self.product_id or self.sku or ""


class CatalogItem(BaseModel):
    """One stored catalog item (MessagingTable `item#<id>` / `catalog`)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    item_id: str
    name: str | None = None
    category: str | None = None
    price_minor: int | None = None
    currency: str | None = None
    image_url: str | None = None
    url: str | None = None
    in_stock: bool = True

    @classmethod
    def from_product(cls, product: Product) -> CatalogItem:
        price = product.price
        currency = product.currency
        return cls(
            item_id=product.item_id,
            name=product.name,
            category=product.category,
            price_minor=minor_units(price, currency) if price is not None and currency is not None else None,
            currency=currency if price is not None else None,
            image_url=product.image_url,
            url=product.url,
            in_stock=product.in_stock,
        )

    def to_item(self) -> dict[str, Any]:
        return {"pk": f"item#{self.item_id}", "sk": "catalog", **self.model_dump(exclude_none=True)}
