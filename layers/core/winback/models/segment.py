"""Segment's tracking spec (identify, track, page, screen; one call, `{"batch": [...]}` or an array)
and how each call maps onto winback's activity events. docs/integrations.md's Segment mapping table is
this module in prose: a change here changes that table.

Only the fields the mapping reads are modelled; everything else a call carries (integrations,
context.library, traits winback has no use for) is ignored, as a webhook destination must tolerate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from winback.models.events import MAX_EVENTS_PER_REQUEST

SegmentType = Literal["identify", "track", "page", "screen", "group", "alias"]
# Segment assumes US dollars when a revenue event names no currency (Spec: Track, `currency`).
DEFAULT_CURRENCY = "USD"
TRACKED_EVENTS: dict[str, str] = {
    "Order Completed": "order",
    "Product Viewed": "view",
    "Signed In": "login",
    "Signed Up": "signup",
}
VIEW_CALLS = ("page", "screen")


class SegmentMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    type: SegmentType
    messageId: str = Field(min_length=1, max_length=200)  # noqa: N815 - Segment's own field names
    timestamp: AwareDatetime
    userId: str | None = Field(None, max_length=128)  # noqa: N815
    anonymousId: str | None = None  # noqa: N815
    event: str | None = Field(None, max_length=200)
    traits: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)


class SegmentBatch(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    batch: list[SegmentMessage] = Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)


def parse_messages(raw: object) -> tuple[bool, list[SegmentMessage]]:
    """Whether the body is a batch (its errors are located under `batch.<i>.`), and its calls.
    Raises pydantic's ValidationError."""
    if isinstance(raw, dict) and "batch" in raw:
        return True, SegmentBatch.model_validate(raw).batch
    if isinstance(raw, list):
        # Webhooks (Actions) with batching on posts the calls as a JSON array: located as a batch.
        return True, SegmentBatch.model_validate({"batch": raw}).batch
    return False, [SegmentMessage.model_validate(raw)]


def _first(mapping: Mapping[str, Any], *names: str) -> tuple[str, Any] | None:
    for name in names:
        value = mapping.get(name)
        if value is not None and value != "":
            return name, value
    return None


class Mapped(BaseModel):
    """One call as a winback activity event (still unvalidated) and, for each of its fields, the
    Segment field it came from: a validation error is reported under the name the sender used."""

    model_config = ConfigDict(defer_build=True)
    event: dict[str, Any]
    sources: dict[str, str]


def event_type(message: SegmentMessage) -> str | None:
    """The winback event type a call maps to, or None when winback has no use for it."""
    if message.type == "identify":
        return "profile"
    if message.type in VIEW_CALLS:
        return "view"
    if message.type == "track" and message.event is not None:
        return TRACKED_EVENTS.get(message.event)
    return None


def map_message(message: SegmentMessage, kind: str) -> Mapped:
    """The activity event of a call whose type maps to `kind` (see `event_type`)."""
    props: dict[str, Any] = {}
    sources: dict[str, str] = {"user_id": "userId", "occurred_at": "timestamp", "type": "type"}

    def take(field: str, source: Mapping[str, Any], prefix: str, *names: str, convert: Any = None) -> None:
        found = _first(source, *names)
        if found is not None:
            props[field] = convert(found[1]) if convert else found[1]
            sources[f"properties.{field}"] = f"{prefix}.{found[0]}"

    if kind == "profile":
        t = message.traits
        take("email", t, "traits", "email")
        take("phone", t, "traits", "phone")
        take("push_endpoint", t, "traits", "push_endpoint")
        take("consent", t, "traits", "consent")
        take("name", t, "traits", "name")
        if "name" not in props:
            parts = [t.get(n) for n in ("firstName", "first_name", "lastName", "last_name")]
            full = " ".join(str(p) for p in parts if p)
            if full:
                props["name"] = full
                sources["properties.name"] = "traits.firstName"
        take("locale", message.context, "context", "locale")
        take("time_zone", message.context, "context", "timezone")
    elif kind in ("order", "view") and message.type == "track":
        p = message.properties
        product = p
        product_prefix = "properties"
        if kind == "order":
            take("amount", p, "properties", "total", "revenue")
            take("currency", p, "properties", "currency", convert=lambda c: str(c).upper())
            if "amount" in props and "currency" not in props:
                props["currency"] = DEFAULT_CURRENCY
            take("coupon_code", p, "properties", "coupon")
            products = p.get("products")
            # An order's profile entry keeps one item: the first product listed.
            if isinstance(products, list) and products and isinstance(products[0], dict):
                product, product_prefix = products[0], "properties.products.0"
            else:
                product = {}
        take("item_id", product, product_prefix, "product_id", "sku")
        take("category", product, product_prefix, "category")
    event = {
        "user_id": message.userId,
        "type": kind,
        "occurred_at": message.timestamp.isoformat(),
        "properties": props,
    }
    return Mapped(event=event, sources=sources)


def dedupe_key(message: SegmentMessage) -> str:
    """What identifies a call across retries: Segment's messageId, with the call type (the spec's own
    identify, page and screen examples share one messageId)."""
    return f"{message.type}:{message.messageId}"
