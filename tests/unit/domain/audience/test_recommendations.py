"""Recommendations: viewed-not-bought first, then popular in the top category, then popular overall;
never a bought item; Personalize with popularity as fallback. Also the bounded population sketches."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from winback.adapters.personalize_recommender import PersonalizeRecommender, recommender_for
from winback.config.segments import RecommendationsConfig
from winback.domain.audience.recommendations import PopularityRecommender, Recommendation
from winback.domain.audience.sampling import CategoryTopItems, MisraGries, Reservoir, percentile, quintile_cuts
from winback.models.population import PopularItem, PopulationStats
from winback.models.profile import Profile

NOW = datetime(2026, 11, 25, tzinfo=UTC)
ARN = "arn:aws:personalize:us-east-1:123456789012:campaign/winback"
STATS = PopulationStats(
    computed_at=NOW,
    sample_size=100,
    population_estimate=100,
    base_currency="USD",
    popular_overall=(
        PopularItem(item_id="hat-1", category="hats", count=50),
        PopularItem(item_id="shoe-1", category="shoes", count=40),
        PopularItem(item_id="bag-1", category="bags", count=30),
    ),
    popular_by_category={
        "shoes": (
            PopularItem(item_id="shoe-1", category="shoes", count=40),
            PopularItem(item_id="shoe-2", category="shoes", count=20),
            PopularItem(item_id="shoe-3", category="shoes", count=10),
        )
    },
)


def shopper(**fields: Any) -> Profile:
    data: dict[str, Any] = {
        "user_id": "u1",
        "recent_items": ["shoe-9", "shoe-1", "sock-1"],
        "item_category": {"shoe-9": "shoes", "shoe-1": "shoes", "sock-1": "socks"},
        "bought_items": ["shoe-1"],
        "category_counts": {"shoes": 5, "socks": 2},
    }
    data.update(fields)
    return Profile.model_validate(data)


def ids(recommendations: list[Recommendation]) -> list[str]:
    return [r.item_id for r in recommendations]


def test_order_is_viewed_not_bought_then_top_category_then_overall() -> None:
    picks = PopularityRecommender(STATS).recommend(shopper(), 6)
    assert ids(picks) == ["shoe-9", "sock-1", "shoe-2", "shoe-3", "hat-1", "bag-1"]
    assert [r.reason for r in picks] == [
        "recently_viewed",
        "recently_viewed",
        "popular_in_category",
        "popular_in_category",
        "popular",
        "popular",
    ]
    assert picks[1].category == "socks"


def test_bought_items_are_never_recommended() -> None:
    profile = shopper(bought_items=["shoe-1", "shoe-9", "hat-1", "shoe-2"])
    picks = PopularityRecommender(STATS).recommend(profile, 10)
    assert not set(ids(picks)) & set(profile.bought_items)
    assert ids(picks) == ["sock-1", "shoe-3", "bag-1"]


def test_count_limits_and_result_is_deterministic() -> None:
    recommender = PopularityRecommender(STATS)
    assert ids(recommender.recommend(shopper(), 2)) == ["shoe-9", "sock-1"]
    assert recommender.recommend(shopper(), 5) == recommender.recommend(shopper(), 5)


def test_top_category_ties_break_alphabetically() -> None:
    stats = STATS.model_copy(
        update={"popular_by_category": {**STATS.popular_by_category, "bags": (PopularItem(item_id="bag-2", count=3),)}}
    )
    profile = shopper(recent_items=[], category_counts={"shoes": 2, "bags": 2})
    assert ids(PopularityRecommender(stats).recommend(profile, 1)) == ["bag-2"]


def test_without_stats_only_viewed_items_are_offered() -> None:
    assert ids(PopularityRecommender(None).recommend(shopper(), 5)) == ["shoe-9", "sock-1"]


class FakePersonalize:
    def __init__(self, items: list[str] | None = None, error: str | None = None) -> None:
        self.items = items or []
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def get_recommendations(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "GetRecommendations")
        return {"itemList": [{"itemId": i, "score": 0.5} for i in self.items], "recommendationId": "r"}


def test_personalize_results_skip_bought_items_and_top_up_from_popularity() -> None:
    client = FakePersonalize(items=["shoe-1", "belt-7"])
    recommender = PersonalizeRecommender(ARN, PopularityRecommender(STATS), client=client)  # type: ignore[arg-type]
    picks = recommender.recommend(shopper(), 3)
    assert ids(picks) == ["belt-7", "shoe-9", "sock-1"]
    assert picks[0].reason == "personalized"
    assert client.calls == [{"campaignArn": ARN, "userId": "u1", "numResults": 4}]


def test_personalize_error_falls_back_to_popularity() -> None:
    client = FakePersonalize(error="ResourceNotFoundException")
    recommender = PersonalizeRecommender(ARN, PopularityRecommender(STATS), client=client)  # type: ignore[arg-type]
    assert recommender.recommend(shopper(), 3) == PopularityRecommender(STATS).recommend(shopper(), 3)


def test_recommender_for_picks_the_configured_provider() -> None:
    assert isinstance(recommender_for(RecommendationsConfig(), STATS), PopularityRecommender)
    chosen = recommender_for(RecommendationsConfig(provider="personalize", personalize_campaign_arn=ARN), STATS)
    assert isinstance(chosen, PersonalizeRecommender) and chosen.campaign_arn == ARN


# --- the bounded sketches behind population stats -------------------------------------------


def test_reservoir_memory_stays_bounded() -> None:
    reservoir = Reservoir(capacity=1_000, seed=7)
    for value in range(100_000):
        reservoir.add(float(value))
    assert len(reservoir) == 1_000
    assert reservoir.seen == 100_000


def test_reservoir_quintiles_of_a_uniform_distribution() -> None:
    rng = random.Random(1)
    reservoir = Reservoir(capacity=5_000, seed=2)
    for _ in range(100_000):
        reservoir.add(rng.uniform(0, 1_000))
    cuts = reservoir.quintiles()
    assert cuts is not None
    for cut, true in zip(cuts, (200, 400, 600, 800), strict=True):
        assert cut == pytest.approx(true, abs=25)


def test_quintiles_interpolate_between_ranks() -> None:
    assert quintile_cuts(range(1, 102)) == (21.0, 41.0, 61.0, 81.0)
    assert percentile([0.0, 10.0], 25) == 2.5
    assert quintile_cuts([]) is None


def test_misra_gries_keeps_the_true_heavy_hitters() -> None:
    rng = random.Random(3)
    stream = (
        ["hot-a"] * 3_000
        + ["hot-b"] * 2_000
        + ["hot-c"] * 1_000
        + [f"tail-{rng.randrange(5_000)}" for _ in range(14_000)]
    )
    rng.shuffle(stream)
    sketch: MisraGries[str] = MisraGries(capacity=20)
    for key in stream:
        sketch.add(key)
        assert len(sketch) <= 20
    top = sketch.top(3)
    assert [key for key, _ in top] == ["hot-a", "hot-b", "hot-c"]
    bound = len(stream) / 21  # counts are under-estimated by at most n / (capacity + 1)
    true = Counter(stream)
    for key, estimate in top:
        assert true[key] - bound <= estimate <= true[key]


def test_category_top_items_bound_categories_and_keep_each_categorys_leader() -> None:
    sketch = CategoryTopItems(capacity=5, max_categories=3)
    for i in range(2_000):
        sketch.add(f"item-{i}", f"rare-{i}")  # each category seen once: none deserves a sketch
        sketch.add("shoe-1", "shoes")
        sketch.add(f"shoe-{i % 50 + 2}", "shoes")
    assert sketch.counters() <= 5 + 5 + 3 + 3 * 5
    assert "shoes" in sketch.categories()
    assert sketch.top_in("shoes", 1)[0][0] == "shoe-1"
    assert sketch.overall.top(1)[0][0] == "shoe-1"
    assert sketch.category_of("shoe-1") == "shoes"
