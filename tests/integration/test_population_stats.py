"""The stats step on moto: samples one parallel-scan segment of ActivityTable, gets quintiles close to
the whole population's, counts popular items of recent users, and stores one item that `load()` reads back."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.helpers import create_keyed_table, create_user_table, fake_aws_env, sample_event
from winback.adapters.activity_store import ActivityStore, ScanPage
from winback.adapters.dynamo import batch_put
from winback.adapters.population_stats_store import PopulationStatsStore
from winback.config.segments import RecommendationsConfig, SegmentsConfig
from winback.domain.audience.rfm import spend_in_base
from winback.domain.audience.sampling import quintile_cuts
from winback.models.profile import Profile
from winback.runtime.deps import reset
from winback.services.scan.population_stats import run_population_stats
from winback_dev.lambda_events import FakeContext

AS_OF = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
USERS = 2_000
ACTIVITY = "activity-test"
MESSAGING = "messaging-test"
SEGMENTS = SegmentsConfig(sample_target=500, page_size=100, fx_to_base={"CNY": Decimal("0.14")})
RECOMMENDATIONS = RecommendationsConfig(popular_window_days=30)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Tables:
    activity: str
    messaging: str


def _create_tables() -> None:
    create_user_table(ACTIVITY)
    create_keyed_table(MESSAGING)


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tables]:
    fake_aws_env(monkeypatch)
    with mock_aws():
        reset()
        _create_tables()
        yield Tables(ACTIVITY, MESSAGING)
        reset()


def _profile(i: int, rng: random.Random) -> Profile:
    """A user with known figures: 80% buyers (order 0-720 days ago, 1-20 orders, spend in USD or CNY);
    users seen in the last 30 days viewed `sku-hot` (60%) or others; older users all viewed `sku-stale`."""
    user_id = f"user-{i:05d}"
    last_seen = AS_OF - timedelta(days=rng.uniform(0, 720))
    first_seen = last_seen - timedelta(days=rng.uniform(0, 700))
    fields: dict[str, Any] = {
        "user_id": user_id,
        "version": 1,
        "first_seen_at": first_seen,
        "last_seen_at": last_seen,
        "last_event_at": {"login": last_seen},
        "event_counts": {"login": rng.randint(1, 200)},
    }
    if rng.random() < 0.8:
        currency = "USD" if rng.random() < 0.7 else "CNY"
        fields |= {
            "last_event_at": {"login": last_seen, "order": last_seen},
            "orders": rng.randint(1, 20),
            "spend_minor": {currency: rng.randint(500, 50_000)},
        }
    if last_seen >= AS_OF - timedelta(days=30):
        viewed = ["sku-hot"] if rng.random() < 0.6 else []
        viewed.append(f"sku-{rng.randint(1, 40)}")
        fields |= {"recent_items": viewed, "item_category": dict.fromkeys(viewed, "shoes")}
    else:
        fields |= {"recent_items": ["sku-stale"], "item_category": {"sku-stale": "hats"}}
    return Profile.model_validate(fields)


def _populate() -> list[Profile]:
    rng = random.Random(42)
    profiles = [_profile(i, rng) for i in range(USERS)]
    batch_put(ACTIVITY, (p.to_item() for p in profiles))
    return profiles


class CountingStore(ActivityStore):
    """The real store, recording which segments were read and which users came back."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.calls: list[tuple[int, int, int]] = []
        self.user_ids: list[str] = []

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        page = super().scan_page(segment, total_segments, start_key, limit)
        self.calls.append((segment, total_segments, limit))
        self.user_ids += [p.user_id for p in page.profiles]
        return page


def _segment_user_ids(segment: int, total: int) -> set[str]:
    found: set[str] = set()
    ddb = boto3.client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": ACTIVITY, "Segment": segment, "TotalSegments": total}
    while True:
        reply = ddb.scan(**kwargs)
        found |= {item["user_id"]["S"] for item in reply["Items"]}
        if "LastEvaluatedKey" not in reply:
            return found
        kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


def _close(sampled: tuple[float, ...] | None, true: tuple[float, ...] | None, tolerance: float) -> None:
    assert sampled is not None and true is not None
    for s, t in zip(sampled, true, strict=True):
        assert s == pytest.approx(t, abs=tolerance), (sampled, true)


def test_stats_read_only_the_chosen_segment_page_by_page(tables: Tables) -> None:
    _populate()
    activity = CountingStore(tables.activity)
    result = run_population_stats(AS_OF, activity, PopulationStatsStore(tables.messaging), SEGMENTS, RECOMMENDATIONS)

    assert result.item_count == USERS
    assert result.plan.total_segments == 4  # 2,000 items / 500 wanted
    (segment,) = result.plan.segments
    assert {(s, total) for s, total, _ in activity.calls} == {(segment, 4)}
    assert {limit for _, _, limit in activity.calls} == {SEGMENTS.page_size}
    assert len(activity.calls) > 1  # paged, not read at once
    # Exactly the segment's users, each once, and about a quarter of the table.
    assert len(activity.user_ids) == len(set(activity.user_ids)) == result.stats.sample_size
    assert set(activity.user_ids) == _segment_user_ids(segment, 4)
    assert 350 <= result.stats.sample_size <= 650
    assert result.stats.population_estimate == result.stats.sample_size * 4
    assert not result.truncated


def test_sampled_quintiles_are_close_to_the_population_quintiles(tables: Tables) -> None:
    profiles = _populate()
    stats = run_population_stats(
        AS_OF, ActivityStore(tables.activity), PopulationStatsStore(tables.messaging), SEGMENTS, RECOMMENDATIONS
    ).stats

    buyers = [p for p in profiles if p.orders > 0]
    days = [(AS_OF - p.last_event_at["order"]).total_seconds() / 86_400 for p in buyers]
    _close(stats.recency_days["order"], quintile_cuts(days), tolerance=0.08 * 720)
    _close(stats.frequency_orders, quintile_cuts(float(p.orders) for p in buyers), tolerance=2)
    spend = [float(spend_in_base(p.spend_minor, SEGMENTS)) for p in buyers]
    true_spend = quintile_cuts(spend)
    assert true_spend is not None
    _close(stats.monetary_base_minor, true_spend, tolerance=0.08 * max(spend))
    assert set(stats.recency_days) == {"order", "login", "any"}  # nobody viewed: no cut points for "view"
    assert stats.activity is not None
    assert stats.activity.regular_per_week <= stats.activity.heavy_per_week


def test_popular_items_count_only_recently_seen_users(tables: Tables) -> None:
    _populate()
    stats = run_population_stats(
        AS_OF, ActivityStore(tables.activity), PopulationStatsStore(tables.messaging), SEGMENTS, RECOMMENDATIONS
    ).stats
    assert (stats.popular_overall[0].item_id, stats.popular_overall[0].category) == ("sku-hot", "shoes")
    assert stats.popular_by_category["shoes"][0].item_id == "sku-hot"
    assert stats.popular_by_category["shoes"][0].category == "shoes"
    # Most users viewed sku-stale, but all of them longer ago than the popularity window.
    assert "sku-stale" not in {p.item_id for p in stats.popular_overall}
    assert "hats" not in stats.popular_by_category
    assert len(stats.popular_overall) <= SEGMENTS.top_items


def test_load_round_trips_the_one_stored_item(tables: Tables) -> None:
    store = PopulationStatsStore(tables.messaging)
    assert store.load() is None
    _populate()
    result = run_population_stats(AS_OF, ActivityStore(tables.activity), store, SEGMENTS, RECOMMENDATIONS)
    assert store.load() == result.stats
    items = boto3.client("dynamodb").scan(TableName=tables.messaging)["Items"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in items] == [("population", "stats")]
    # A rerun for the same day overwrites the item rather than adding one.
    run_population_stats(AS_OF, ActivityStore(tables.activity), store, SEGMENTS, RECOMMENDATIONS)
    assert boto3.client("dynamodb").scan(TableName=tables.messaging)["Count"] == 1


def test_unreadable_stored_stats_load_as_none(tables: Tables) -> None:
    boto3.client("dynamodb").put_item(
        TableName=tables.messaging,
        Item={"pk": {"S": "population"}, "sk": {"S": "stats"}, "stats": {"S": '{"sample_size": -1}'}},
    )
    assert PopulationStatsStore(tables.messaging).load() is None


def test_scheduled_handler_stores_stats_as_of_the_scheduled_time(
    tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in {
        "ACTIVITY_TABLE": tables.activity,
        "MESSAGING_TABLE": tables.messaging,
        "SUPPRESSION_TABLE": "unused",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("WINBACK_PROGRAM_PATH", raising=False)
    reset()
    _populate()
    spec = importlib.util.spec_from_file_location("winback_functions.stats", ROOT / "functions/stats/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        event = sample_event("stats_schedule.json")
        reply = module.lambda_handler(event, FakeContext(function_name="stats"))
    finally:
        reset()
    stored = PopulationStatsStore(tables.messaging).load()
    assert stored is not None
    assert stored.computed_at == datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    assert reply["sample_size"] == stored.sample_size == USERS  # default sample_target: the whole small table
    assert reply["total_segments"] == 1
