"""A user's activity profile: one item per user in ActivityTable."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from winback.models.preferences import Preferences

RECENT_ITEMS_CAP = 20
CATEGORY_CAP = 20
RECENT_BATCHES_CAP = 10
BOUGHT_ITEMS_CAP = 50
# Stored as attributes of their own: the key, the optimistic-lock version, and what scan updates.
TOP_LEVEL = frozenset({"user_id", "version", "tier", "tier_entered_at", "assignment", "journeys", "engagement"})


class Assignment(BaseModel):
    """The user's place in a campaign's experiment for the current dormancy episode (set by scan)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    campaign_id: str
    arm: str
    segment: str
    activity: str | None = None
    tier: str
    episode: str
    assigned_at: AwareDatetime
    # Why they left, as their behaviour suggests it at assignment (domain/journey/reasons.inferred_reason).
    inferred_reason: str | None = None
    # The fitted models' view of the user at assignment (None without a fit): campaigns and incentives
    # may ask for a range of expected 12-month value (base currency, minor units).
    expected_value_minor: int | None = None
    p_alive: float | None = None
    reactivated_at: AwareDatetime | None = None
    # Revenue attributed to this assignment so far (currency -> minor units): the report's sum of
    # squares per user needs the user's running total (domain/measurement/attribution.py).
    revenue_minor: dict[str, int] | None = None

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)


class Journeys(BaseModel):
    """Win-back journeys a user went through without coming back (for sunset)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    failed: int = 0
    last_ended_at: AwareDatetime | None = None


class Engagement(BaseModel):
    """How the user engages with campaign email (from SES Open, Click and Delivery events): the last
    open and click by a person, and the emails delivered since the last of them (for the sunset)."""

    model_config = ConfigDict(extra="ignore")
    last_open_at: AwareDatetime | None = None
    last_click_at: AwareDatetime | None = None
    emails_since: int = 0
    unengaged_since: AwareDatetime | None = None


class Profile(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    user_id: str
    version: int = 0
    first_seen_at: AwareDatetime | None = None
    last_seen_at: AwareDatetime | None = None
    last_event_at: dict[str, AwareDatetime] = Field(default_factory=dict)
    event_counts: dict[str, int] = Field(default_factory=dict)
    orders: int = 0
    first_order_at: AwareDatetime | None = Field(None, description="the first order's time (BG/NBD's age starts there)")
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
    assignment: Assignment | None = None
    journeys: Journeys = Field(default_factory=Journeys)
    engagement: Engagement = Field(default_factory=Engagement)
    preferences: Preferences | None = None  # set on the preference page; None until the user chooses
    active_hours: list[int] = Field(
        default_factory=list,
        max_length=24,
        description="events per hour of the user's wall clock, 0-23 (domain/journey/send_time.py); empty: none yet",
    )

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item: the keys and what conditions and updates touch at the top level, the
        rest as one JSON document. Parsing dozens of nested attributes per item is what a scan
        worker would otherwise spend its time on (in botocore, and 14x slower again on moto)."""
        top = self.model_dump(mode="json", include=set(TOP_LEVEL), exclude_none=True)
        if self.assignment is not None:
            top["assignment"] = self.assignment.to_json()
        top["journeys"] = self.journeys.model_dump_json(exclude_none=True)
        top["engagement"] = self.engagement.model_dump_json(exclude_none=True)
        doc = self.model_dump(mode="json", exclude=set(TOP_LEVEL), exclude_none=True)
        return {**top, "doc": json.dumps({k: v for k, v in doc.items() if v not in ({}, [])}, separators=(",", ":"))}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Profile:
        doc = json.loads(item["doc"]) if "doc" in item else {}
        top = {k: v for k, v in item.items() if k != "doc"}
        for name in ("assignment", "journeys", "engagement"):
            if isinstance(top.get(name), str):
                top[name] = json.loads(top[name])
        return cls.model_validate({**doc, **top})

    def signal_at(self, signal: str) -> datetime | None:
        """When the user last did `signal` ("any" = any event)."""
        if signal == "any":
            return self.last_seen_at
        return self.last_event_at.get(signal)
