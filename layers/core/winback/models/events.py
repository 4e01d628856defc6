"""The upstream webhook body: one activity event, or a batch of up to 100."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from winback.domain.money import is_currency
from winback.models.catalog import Product
from winback.models.ids import USER_ID_PATTERN

EventType = Literal["signup", "login", "view", "order", "profile", "error", "support", "login_failed", "password_reset"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EVENTS_PER_REQUEST = 100


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None
    # The in-app inbox needs no opt-in (it is inside the app), but a user may turn it off.
    inbox: bool | None = None
    # Using the user's hashed identifiers for advertising audiences (audience export).
    ads: bool | None = None


class EventProperties(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    # order
    amount: Decimal | None = Field(None, ge=0, le=Decimal("10000000"), decimal_places=4)
    currency: str | None = Field(None, max_length=3)
    item_id: str | None = Field(None, min_length=1, max_length=128)
    category: str | None = Field(None, min_length=1, max_length=64)
    coupon_code: str | None = Field(None, min_length=1, max_length=64)
    # profile
    name: str | None = Field(None, min_length=1, max_length=128)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    push_endpoint: str | None = Field(None, pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint/.+$")
    locale: str | None = Field(None, pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")
    time_zone: str | None = Field(None, max_length=64)
    consent: Consent | None = None
    # view / order: the item's catalog properties (Segment e-commerce spec), kept in the catalog
    product: Product | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if not _EMAIL.match(value):
            raise ValueError("not an email address")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and not is_currency(value):
            raise ValueError("not an ISO 4217 currency code (e.g. USD)")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise ValueError("phone must be in international format, e.g. +14155550100") from exc
        if not phonenumbers.is_valid_number(parsed):
            raise ValueError("not a valid phone number")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # a region folder raises IsADirectoryError
            raise ValueError("unknown IANA time zone") from exc
        return value


class ActivityEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    user_id: str = Field(pattern=USER_ID_PATTERN)
    type: EventType
    occurred_at: AwareDatetime
    properties: EventProperties = EventProperties()

    @model_validator(mode="after")
    def _order_has_amount(self) -> Self:
        if self.type == "order" and (self.properties.amount is None or self.properties.currency is None):
            raise ValueError("an order event needs properties.amount and properties.currency")
        product = self.properties.product
        if product is not None:
            if self.type not in ("view", "order"):
                raise ValueError("properties.product belongs on view and order events")
            if self.properties.item_id is None:
                self.properties.item_id = product.item_id
            if self.properties.category is None:
                self.properties.category = product.category
        return self


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    events: list[ActivityEvent] = Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)


def parse_body(raw: object) -> list[ActivityEvent]:
    """A webhook body (one event object, or {"events": [...]}) as events; raises ValidationError."""
    if isinstance(raw, dict) and "events" in raw:
        return EventBatch.model_validate(raw).events
    return [ActivityEvent.model_validate(raw)]
