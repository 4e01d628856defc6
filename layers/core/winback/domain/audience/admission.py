"""How many first messages a day the scan may admit, per channel, and which users first (pure).

A day's capacity comes from what the channels can send in a day (SES's 24-hour quota and rate,
the SMS rate, a warm-up ramp); the plan divides it across the scan's segments, which are uniform
random slices of the table, so each worker keeps only its share: a heap of at most that many
users per channel, whatever the table's size. Users beyond it wait for a later day.

The order: with a fitted model, expected 12-month value × P(alive) (then spend); without one, the
earliest tier first (the more recent the lapse, the likelier a return) and then spend (RFM value).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from winback.config.admission import Admission

T = TypeVar("T")
ANY_CHANNEL = "*"  # a budget every channel not named shares (one account for all, as the simulator has)
SECONDS_A_DAY = 86_400


@dataclass(frozen=True)
class ChannelLimits:
    """What the accounts allow: SES's GetAccount (None where unknown) and the SMS rate."""

    email_max_24h: int | None
    email_per_second: float | None
    sms_per_second: float


def _smallest(*values: float | None) -> int | None:
    known = [v for v in values if v is not None]
    return int(min(known)) if known else None


def day_capacity(config: Admission, limits: ChannelLimits, day: dt.date) -> dict[str, int]:
    """First messages a day per channel; a channel absent is not limited (push and inbox by default)."""
    email_rate_day = None if limits.email_per_second is None else limits.email_per_second * SECONDS_A_DAY
    warm = config.warm_up.volume_on(day) if config.warm_up is not None else None
    capacity: dict[str, int] = {}
    email = _smallest(limits.email_max_24h, email_rate_day, config.email_per_day, warm)
    if email is not None:
        capacity["email"] = math.floor(email * config.first_step_share)
    sms = config.sms_per_day if config.sms_per_day is not None else limits.sms_per_second * SECONDS_A_DAY
    capacity["sms"] = math.floor(sms * config.first_step_share)
    for channel, limit in (("push", config.push_per_day), ("inbox", config.inbox_per_day)):
        if limit is not None:
            capacity[channel] = limit
    return capacity


def segment_share(capacity: Mapping[str, int], segments: int, segment: int) -> dict[str, int]:
    """Segment `segment`'s share of each channel's capacity: equal parts, the remainder to the first
    segments, so the shares add up to the capacity exactly."""
    share: dict[str, int] = {}
    for channel, total in capacity.items():
        base, extra = divmod(total, segments)
        share[channel] = base + (1 if segment < extra else 0)
    return share


def budget_of(budgets: Mapping[str, int], channel: str | None) -> str | None:
    """The budget a message on `channel` spends (None: unlimited, admitted at once)."""
    if channel is None:
        return None
    if channel in budgets:
        return channel
    return ANY_CHANNEL if ANY_CHANNEL in budgets else None


Priority = tuple[float, float, str]


@dataclass
class TopK(Generic[T]):
    """The `k` highest-priority items seen, in a min-heap of at most `k` (ties: by key, stable)."""

    k: int
    _heap: list[tuple[Priority, int, T]] = field(default_factory=list)
    _seq: int = 0

    def offer(self, priority: Priority, item: T) -> T | None:
        """Keep `item` if it is among the top `k`; returns the item that left (or `item` itself)."""
        self._seq += 1
        entry = (priority, -self._seq, item)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
            return None
        if not self._heap or entry[:2] <= self._heap[0][:2]:
            return item
        return heapq.heappushpop(self._heap, entry)[2]

    def __len__(self) -> int:
        return len(self._heap)

    def drain(self) -> list[tuple[Priority, T]]:
        """Everything kept, highest priority first; the heap is empty after."""
        ordered = sorted(self._heap, key=lambda e: e[:2], reverse=True)
        self._heap.clear()
        return [(p, item) for p, _, item in ordered]


def value_band(value_minor: float) -> str:
    """A user's value (expected 12-month value with a model, else spend) in base major units, banded
    for the report (names fit metric names): none, under_10, under_100, under_1000, 1000_plus."""
    major = value_minor / 100
    if major <= 0:
        return "none"
    for limit in (10, 100, 1_000):
        if major < limit:
            return f"under_{limit}"
    return "1000_plus"


VALUE_BANDS = ("none", "under_10", "under_100", "under_1000", "1000_plus")


def by_value_band(figures: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """(band, admitted, waiting) for each value band, from a run's scan figures, lowest band first."""
    return [
        (band, figures.get(f"admitted_value_{band}", 0), figures.get(f"waiting_value_{band}", 0))
        for band in VALUE_BANDS
    ]
