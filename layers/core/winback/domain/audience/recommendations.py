"""What to show a user in a win-back message: items they may want, never ones they already bought (pure).

`PopularityRecommender` needs no model: first the items the user viewed recently but did not buy,
then what is popular in the user's favourite category, then what is popular overall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from winback.models.population import PopularItem, PopulationStats
from winback.models.profile import Profile

Reason = Literal["recently_viewed", "popular_in_category", "popular", "personalized"]


@dataclass(frozen=True)
class Recommendation:
    item_id: str
    category: str | None
    reason: Reason


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

        def offer(item_id: str, category: str | None, reason: Reason) -> bool:
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
