"""Bounded-memory summaries of a stream of profiles (pure).

The stats step reads tens of thousands of profiles; what it keeps must not grow with them:
- `Reservoir`: a uniform random sample of at most `capacity` values (Vitter's Algorithm R), from
  which percentiles are read;
- `MisraGries` / `CategoryTopItems`: the most frequent items overall and per category with at
  most `capacity` counters each (Misra and Gries, "Finding repeated elements", 1982). Every item
  seen more than n/(capacity+1) times is kept, and its count is under-estimated by at most that.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from winback.config.segments import SIGNALS, SegmentsConfig
from winback.domain.audience.activity_level import engagement, is_one_time
from winback.domain.audience.rfm import days_since, spend_in_base
from winback.domain.audience.scoring import mean_spend_minor, purchase_history
from winback.domain.prediction.bgnbd import PurchaseHistory
from winback.models.population import ActivityCuts, PopularItem, PopulationStats
from winback.models.profile import Profile

K = TypeVar("K", bound=Hashable)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def quintile_cuts(values: Iterable[float]) -> tuple[float, float, float, float] | None:
    """The 20th, 40th, 60th and 80th percentiles of `values`; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    p20, p40, p60, p80 = (percentile(ordered, p) for p in (20, 40, 60, 80))
    return (p20, p40, p60, p80)


class Reservoir:
    """A uniform sample of at most `capacity` of the values added (Algorithm R), reproducible by seed."""

    def __init__(self, capacity: int, seed: int = 0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.seen = 0
        self._values: list[float] = []
        self._random = random.Random(seed)  # noqa: S311 - sampling, not security

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self._values) < self.capacity:
            self._values.append(value)
            return
        slot = self._random.randrange(self.seen)
        if slot < self.capacity:
            self._values[slot] = value

    def __len__(self) -> int:
        return len(self._values)

    def values(self) -> list[float]:
        return list(self._values)

    def quintiles(self) -> tuple[float, float, float, float] | None:
        return quintile_cuts(self._values)

    def percentile(self, p: float) -> float | None:
        return percentile(sorted(self._values), p) if self._values else None


T = TypeVar("T")


class ItemReservoir(Generic[T]):
    """Algorithm R over any items (the purchase histories the stats step fits its models on)."""

    def __init__(self, capacity: int, seed: int = 0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.seen = 0
        self._items: list[T] = []
        self._random = random.Random(seed)  # noqa: S311 - sampling, not security

    def add(self, item: T) -> None:
        self.seen += 1
        if len(self._items) < self.capacity:
            self._items.append(item)
            return
        slot = self._random.randrange(self.seen)
        if slot < self.capacity:
            self._items[slot] = item

    def items(self) -> list[T]:
        return list(self._items)


class MisraGries(Generic[K]):
    """Approximate counts of the most frequent keys with at most `capacity` counters."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.total = 0
        self._counts: dict[K, int] = {}

    def add(self, key: K) -> list[K]:
        """Count one occurrence of `key`; returns the keys dropped to make room (callers holding
        data per key release it). Amortized O(1): a decrement round removes capacity+1 counts."""
        self.total += 1
        if key in self._counts:
            self._counts[key] += 1
            return []
        if len(self._counts) < self.capacity:
            self._counts[key] = 1
            return []
        # No free counter: decrement every counter (and, implicitly, the new key's single count).
        dropped: list[K] = []
        for other in list(self._counts):
            self._counts[other] -= 1
            if self._counts[other] == 0:
                del self._counts[other]
                dropped.append(other)
        return dropped

    def __contains__(self, key: object) -> bool:
        return key in self._counts

    def __len__(self) -> int:
        return len(self._counts)

    def keys(self) -> list[K]:
        return list(self._counts)

    def top(self, n: int) -> list[tuple[K, int]]:
        """The `n` keys with the highest (under-estimated) counts, ties broken by key for determinism."""
        return sorted(self._counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]


class CategoryTopItems:
    """Frequent items overall and within each of the most frequent categories, in bounded memory:
    at most `max_categories` per-category sketches of `capacity` counters each."""

    def __init__(self, capacity: int, max_categories: int) -> None:
        self.capacity = capacity
        self.overall: MisraGries[str] = MisraGries(capacity)
        self._categories: MisraGries[str] = MisraGries(max_categories)
        self._by_category: dict[str, MisraGries[str]] = {}
        self._category_of: dict[str, str] = {}  # for the items `overall` tracks only

    def add(self, item_id: str, category: str | None) -> None:
        for gone in self.overall.add(item_id):
            self._category_of.pop(gone, None)
        if category is None:
            return
        if item_id in self.overall:
            self._category_of[item_id] = category
        for gone in self._categories.add(category):
            self._by_category.pop(gone, None)
        if category in self._categories:
            self._by_category.setdefault(category, MisraGries(self.capacity)).add(item_id)

    def category_of(self, item_id: str) -> str | None:
        return self._category_of.get(item_id)

    def categories(self) -> list[str]:
        return sorted(self._by_category)

    def top_in(self, category: str, n: int) -> list[tuple[str, int]]:
        sketch = self._by_category.get(category)
        return sketch.top(n) if sketch else []

    def counters(self) -> int:
        """How many counters are held in all (what bounds the memory)."""
        per_category = sum(len(s) for s in self._by_category.values())
        return len(self.overall) + len(self._category_of) + len(self._categories) + per_category


MAX_TOTAL_SEGMENTS = 1_000_000  # DynamoDB's limit for a parallel scan's TotalSegments


@dataclass(frozen=True)
class SamplePlan:
    """Scan `segments` of a `total_segments`-way parallel scan: DynamoDB assigns items to segments
    by a hash of the key, so these segments hold a uniform random sample of about 1/total of the table."""

    total_segments: int
    segments: tuple[int, ...]


def sample_plan(item_count: int, sample_target: int, day: int) -> SamplePlan:
    """One segment of N, N chosen so that about `sample_target` items are read; which segment
    rotates with `day` (so a rerun of the same day reads the same sample)."""
    total = min(max(round(item_count / sample_target), 1), MAX_TOTAL_SEGMENTS)
    return SamplePlan(total_segments=total, segments=(day % total,))


class PopulationSample:
    """Everything the stats step keeps while it streams profiles: a reservoir per measure and
    bounded popularity counters. Memory: 7 reservoirs of `reservoir_size` plus the item sketches."""

    def __init__(self, as_of: datetime, config: SegmentsConfig, popular_window_days: int, seed: int = 0) -> None:
        self.as_of = as_of
        self.config = config
        self.popular_since = as_of - timedelta(days=popular_window_days)
        self.profiles = 0
        size = config.reservoir_size
        self.recency = {signal: Reservoir(size, seed + i) for i, signal in enumerate(SIGNALS)}
        self.frequency = Reservoir(size, seed + len(SIGNALS))
        self.monetary = Reservoir(size, seed + len(SIGNALS) + 1)
        self.activity = Reservoir(size, seed + len(SIGNALS) + 2)
        # Buyers' histories (days since their first order) and mean spend, for BG/NBD and Gamma-Gamma.
        self.purchases: ItemReservoir[tuple[PurchaseHistory, float]] = ItemReservoir(size, seed + len(SIGNALS) + 3)
        # Several times more counters than items reported, so the reported counts are close.
        self.items = CategoryTopItems(capacity=config.top_items * 10, max_categories=config.max_categories)

    def add(self, profile: Profile) -> None:
        self.profiles += 1
        for signal, reservoir in self.recency.items():
            at = profile.signal_at(signal)
            if at is not None:
                reservoir.add(days_since(at, self.as_of))
        if profile.orders > 0:
            self.frequency.add(profile.orders)
            self.monetary.add(spend_in_base(profile.spend_minor, self.config))
            history = purchase_history(profile, self.as_of)
            if history is not None:
                self.purchases.add((history, mean_spend_minor(profile, self.config)))
        measure = engagement(profile)
        if not is_one_time(measure, self.config.activity):
            self.activity.add(measure.events_per_week)
        if profile.last_seen_at is not None and profile.last_seen_at >= self.popular_since:
            # Each user counts an item once, whether viewed, bought or both.
            for item_id in dict.fromkeys([*profile.recent_items, *profile.bought_items]):
                self.items.add(item_id, profile.item_category.get(item_id))

    def stats(self, population_estimate: int) -> PopulationStats:
        thresholds = self.config.activity
        regular = self.activity.percentile(thresholds.regular_percentile)
        heavy = self.activity.percentile(thresholds.heavy_percentile)
        top = self.config.top_items
        return PopulationStats(
            computed_at=self.as_of,
            sample_size=self.profiles,
            population_estimate=population_estimate,
            base_currency=self.config.base_currency,
            recency_days={s: cuts for s, r in self.recency.items() if (cuts := r.quintiles()) is not None},
            frequency_orders=self.frequency.quintiles(),
            monetary_base_minor=self.monetary.quintiles(),
            activity=None
            if regular is None or heavy is None
            else ActivityCuts(regular_per_week=regular, heavy_per_week=heavy),
            popular_overall=tuple(
                PopularItem(item_id=item_id, category=self.items.category_of(item_id), count=n)
                for item_id, n in self.items.overall.top(top)
            ),
            popular_by_category={
                category: tuple(
                    PopularItem(item_id=item_id, category=category, count=n)
                    for item_id, n in self.items.top_in(category, top)
                )
                for category in self.items.categories()
            },
        )
