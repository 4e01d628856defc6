"""A user's activity profile: one item per user in ActivityTable."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

RECENT_ITEMS_CAP = 20
CATEGORY_CAP = 20
RECENT_BATCHES_CAP = 10
BOUGHT_ITEMS_CAP = 50
# Stored as attributes of their own: the key, the optimistic-lock version, and the tier that scan updates.
TOP_LEVEL = frozenset({"user_id", "version", "tier", "tier_entered_at"})


class Profile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_id: str
    version: int = 0
    first_seen_at: AwareDatetime | None = None
    last_seen_at: AwareDatetime | None = None
    last_event_at: dict[str, AwareDatetime] = Field(default_factory=dict)
    event_counts: dict[str, int] = Field(default_factory=dict)
    orders: int = 0
    spend_minor: dict[str, int] = Field(default_factory=dict)
    recent_items: list[str] = Field(default_factory=list, description="items viewed or bought, newest first")
    item_category: dict[str, str] = Field(default_factory=dict, description="category of each of recent_items")
    bought_items: list[str] = Field(default_factory=list, description="items ordered, newest first")
    category_counts: dict[str, int] = Field(default_factory=dict)
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    push_endpoint: str | None = None
    locale: str | None = None
    time_zone: str | None = None
    consent: dict[str, bool] = Field(default_factory=dict)
    updated_at: dict[str, AwareDatetime] = Field(default_factory=dict, description="when each contact field was set")
    tier: str | None = None
    tier_entered_at: AwareDatetime | None = None
    recent_batches: list[str] = Field(default_factory=list)

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item: the keys and what conditions and updates touch at the top level, the
        rest as one JSON document. Parsing dozens of nested attributes per item is what a scan
        worker would otherwise spend its time on (in botocore, and 14x slower again on moto)."""
        top = self.model_dump(mode="json", include=set(TOP_LEVEL), exclude_none=True)
        doc = self.model_dump(mode="json", exclude=set(TOP_LEVEL), exclude_none=True)
        return {**top, "doc": json.dumps({k: v for k, v in doc.items() if v not in ({}, [])}, separators=(",", ":"))}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Profile:
        doc = json.loads(item["doc"]) if "doc" in item else {}
        return cls.model_validate({**doc, **{k: v for k, v in item.items() if k != "doc"}})

    def signal_at(self, signal: str) -> datetime | None:
        """When the user last did `signal` ("any" = any event)."""
        if signal == "any":
            return self.last_seen_at
        return self.last_event_at.get(signal)
