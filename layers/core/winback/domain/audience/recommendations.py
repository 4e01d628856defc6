"""What to show a user in a win-back message: items they may want, never ones they already bought (pure).

`PopularityRecommender` needs no model: first the items the user viewed recently but did not buy,
then what is popular in the user's favourite category, then what is popular overall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from winback.models.catalog import CatalogItem
from winback.models.population import PopularItem, PopulationStats
from winback.models.profile import Profile

PickReason = Literal["recently_viewed", "popular_in_category", "popular", "personalized"]


@dataclass(frozen=True)
class Recommendation:
    item_id: str
    category: str | None
    reason: PickReason


@dataclass(frozen=True)
class Shown:
    """A recommendation as a message shows it: the catalog item when the catalog knows it (None: the
    id and category are all there is to show)."""

    pick: Recommendation
    item: CatalogItem | None


# How many more picks than shown a sender asks for, so out-of-stock items can be skipped.
OUT_OF_STOCK_SLACK = 3


def for_display(picks: Sequence[Recommendation], catalog: Mapping[str, CatalogItem], count: int) -> list[Shown]:
    """The first `count` picks that are not out of stock, each with its catalog item if known."""
    shown: list[Shown] = []
    if count <= 0:
        return shown
    for pick in picks:
        item = catalog.get(pick.item_id)
        if item is not None and not item.in_stock:
            continue
        shown.append(Shown(pick=pick, item=item))
        if len(shown) >= count:
            break
    return shown


class Recommender(Protocol):
    def recommend(self, profile: Profile, count: int) -> list[Recommendation]: ...


def top_category(profile: Profile) -> str | None:
    """The category the user engaged with most (ties: alphabetically first, for determinism)."""
    if not profile.category_counts:
        return None
    return min(profile.category_counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


class PopularityRecommender:
    def __init__(self, stats: PopulationStats | None) -> None:
        self.stats = stats

    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        bought = set(profile.bought_items)
        chosen: list[Recommendation] = []
        taken: set[str] = set()

        def offer(item_id: str, category: str | None, reason: PickReason) -> bool:
            """Add the item unless bought or already chosen; True once `count` are chosen."""
            if item_id not in bought and item_id not in taken:
                taken.add(item_id)
                chosen.append(Recommendation(item_id=item_id, category=category, reason=reason))
            return len(chosen) >= count

        if count <= 0:
            return []
        for item_id in profile.recent_items:
            if offer(item_id, profile.item_category.get(item_id), "recently_viewed"):
                return chosen
        category = top_category(profile)
        for popular in self._popular_in(category):
            if offer(popular.item_id, popular.category or category, "popular_in_category"):
                return chosen
        for popular in self.stats.popular_overall if self.stats else ():
            if offer(popular.item_id, popular.category, "popular"):
                return chosen
        return chosen

    def _popular_in(self, category: str | None) -> tuple[PopularItem, ...]:
        if self.stats is None or category is None:
            return ()
        return self.stats.popular_by_category.get(category, ())
