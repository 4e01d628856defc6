"""Segment's tracking spec (identify, track, page, screen; one call, `{"batch": [...]}` or an array)
and how each call maps onto winback's activity events. docs/integrations.md's Segment mapping table is
this module in prose: a change here changes that table.

Only the fields the mapping reads are modelled; everything else a call carries (integrations,
context.library, traits winback has no use for) is ignored, as a webhook destination must tolerate.
RudderStack forwards its events unmodified: an identify's traits under `context.traits` (where its
own transformer looks after `traits`), and its documentation's samples carry `originalTimestamp`
without `timestamp`, so either is read, `timestamp` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from winback.domain.money import is_currency, to_minor_precision
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
# Where an identify's traits are looked for, in order: Segment's place, then RudderStack's.
TRAIT_PLACES = ("traits", "context.traits")


class SegmentMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    type: SegmentType
    messageId: str = Field(min_length=1, max_length=200)  # noqa: N815 - Segment's own field names
    timestamp: AwareDatetime | None = None
    originalTimestamp: AwareDatetime | None = None  # noqa: N815
    userId: str | None = Field(None, max_length=128)  # noqa: N815
    anonymousId: str | None = None  # noqa: N815
    event: str | None = Field(None, max_length=200)
    traits: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_time(self) -> Self:
        if self.timestamp is None and self.originalTimestamp is None:
            raise ValueError("a call needs timestamp (or originalTimestamp)")
        return self

    @property
    def time_field(self) -> str:
        return "timestamp" if self.timestamp is not None else "originalTimestamp"

    def trait_places(self) -> list[tuple[str, Mapping[str, Any]]]:
        """The trait objects of the call, each with its path: `traits`, then `context.traits`."""
        nested = self.context.get("traits")
        places: list[tuple[str, Mapping[str, Any]]] = [("traits", self.traits)]
        if isinstance(nested, dict):
            places.append(("context.traits", nested))
        return places


class SegmentEnvelope(BaseModel):
    """What makes a body a Segment payload: a call, or 1 to 100 of them (each an object) under
    `batch` or as a JSON array. The calls themselves are validated one by one."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    batch: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)


def split_calls(raw: object) -> tuple[bool, list[Any]]:
    """Whether the body is a batch (its calls located under `batch.<i>.`), and its calls, unvalidated.
    Raises pydantic's ValidationError when the body is not a Segment payload at all."""
    if isinstance(raw, dict) and "batch" in raw:
        return True, list(SegmentEnvelope.model_validate(raw).batch)
    if isinstance(raw, list):
        # Webhooks (Actions) with batching on posts the calls as a JSON array: located as a batch.
        return True, list(SegmentEnvelope.model_validate({"batch": raw}).batch)
    return False, [raw]


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


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def is_refund(message: SegmentMessage) -> bool:
    """An Order Completed whose total (or revenue) is negative: a refund, which winback does not keep."""
    found = _first(message.properties, "total", "revenue")
    amount = _decimal(found[1]) if found else None
    return amount is not None and amount < 0


def event_type(message: SegmentMessage) -> str | None:
    """The winback event type a call maps to, or None when winback has no use for it."""
    if message.type == "identify":
        return "profile"
    if message.type in VIEW_CALLS:
        return "view"
    if message.type == "track" and message.event is not None:
        kind = TRACKED_EVENTS.get(message.event)
        return None if kind == "order" and is_refund(message) else kind
    return None


class _Builder:
    """Collects one call's properties, remembering where each came from."""

    def __init__(self) -> None:
        self.props: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def take(self, field: str, source: Mapping[str, Any], prefix: str, *names: str) -> None:
        found = _first(source, *names)
        if found is not None and field not in self.props:
            self.props[field] = found[1]
            self.sources[f"properties.{field}"] = f"{prefix}.{found[0]}"

    def profile(self, message: SegmentMessage) -> None:
        for prefix, traits in message.trait_places():
            for field, names in (
                ("email", ("email",)),
                ("phone", ("phone",)),
                ("push_endpoint", ("push_endpoint",)),
                ("consent", ("consent",)),
                ("name", ("name",)),
            ):
                self.take(field, traits, prefix, *names)
            self._full_name(traits, prefix)
        self.take("locale", message.context, "context", "locale")
        self.take("time_zone", message.context, "context", "timezone")

    def _full_name(self, traits: Mapping[str, Any], prefix: str) -> None:
        if "name" in self.props:
            return
        parts = [traits.get(n) for n in ("firstName", "first_name", "lastName", "last_name")]
        full = " ".join(str(p) for p in parts if p)
        if full:
            self.props["name"] = full
            self.sources["properties.name"] = f"{prefix}.firstName"

    def order(self, properties: Mapping[str, Any]) -> Mapping[str, Any]:
        """The order's amount, currency and coupon; returns the product its item comes from."""
        self.take("amount", properties, "properties", "total", "revenue")
        self.take("currency", properties, "properties", "currency")
        if "currency" in self.props:
            self.props["currency"] = str(self.props["currency"]).upper()
        elif "amount" in self.props:
            self.props["currency"] = DEFAULT_CURRENCY
        self._round_amount()
        self.take("coupon_code", properties, "properties", "coupon")
        products = properties.get("products")
        # An order's profile entry keeps one item: the first product listed.
        if isinstance(products, list) and products and isinstance(products[0], dict):
            return products[0]
        return {}

    def _round_amount(self) -> None:
        """A total sent as a JavaScript number (1.1 * 3 is 3.3000000000000003) is rounded to the
        currency's minor unit; an amount in a currency winback does not know is left for the
        model to refuse."""
        amount = _decimal(self.props.get("amount"))
        currency = self.props.get("currency")
        if amount is not None and amount.is_finite() and isinstance(currency, str) and is_currency(currency):
            self.props["amount"] = to_minor_precision(amount, currency)

    def item(self, product: Mapping[str, Any], prefix: str) -> None:
        self.take("item_id", product, prefix, "product_id", "sku")
        self.take("category", product, prefix, "category")


def map_message(message: SegmentMessage, kind: str) -> Mapped:
    """The activity event of a call whose type maps to `kind` (see `event_type`)."""
    built = _Builder()
    if kind == "profile":
        built.profile(message)
    elif kind == "order" and message.type == "track":
        product = built.order(message.properties)
        built.item(product, "properties.products.0" if product else "properties")
    elif kind == "view" and message.type == "track":
        built.item(message.properties, "properties")
    occurred = message.timestamp or message.originalTimestamp
    event = {
        "user_id": message.userId,
        "type": kind,
        "occurred_at": occurred.isoformat() if occurred else None,
        "properties": built.props,
    }
    sources = {"user_id": "userId", "occurred_at": message.time_field, "type": "type", **built.sources}
    return Mapped(event=event, sources=sources)


def dedupe_key(message: SegmentMessage) -> str:
    """What identifies a call across retries: Segment's messageId, with the call type (the spec's own
    identify, page and screen examples share one messageId)."""
    return f"{message.type}:{message.messageId}"
