"""Activity level: events per week over tenure, cut by population percentiles or config defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.config.segments import ActivityThresholds
from winback.domain.audience.activity_level import activity_level, engagement
from winback.models.population import ActivityCuts, PopulationStats
from winback.models.profile import Profile

START = datetime(2026, 1, 1, tzinfo=UTC)
THRESHOLDS = ActivityThresholds()  # defaults: regular from 1/week, heavy from 5/week, one-time under 1 day


def user(tenure_days: float, events: int) -> Profile:
    return Profile(
        user_id="u1",
        first_seen_at=START,
        last_seen_at=START + timedelta(days=tenure_days),
        event_counts={"view": events - events // 2, "login": events // 2},
    )


def test_engagement_is_events_per_week_over_tenure() -> None:
    measure = engagement(user(tenure_days=70, events=35))
    assert measure.tenure_days == 70
    assert measure.events == 35
    assert measure.events_per_week == pytest.approx(3.5)


def test_a_short_burst_counts_as_at_least_one_week() -> None:
    assert engagement(user(tenure_days=2, events=6)).events_per_week == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("tenure_days", "events", "level"),
    [
        (0.5, 20, "one_time"),  # came once, never returned
        (30, 1, "one_time"),
        (70, 70, "heavy"),  # 7/week
        (70, 50, "heavy"),  # exactly 5/week: at the cut point
        (70, 49, "regular"),
        (70, 10, "regular"),  # exactly 1/week
        (70, 9, "light"),
    ],
)
def test_levels_by_default_thresholds(tenure_days: float, events: int, level: str) -> None:
    assert activity_level(user(tenure_days, events), None, THRESHOLDS) == level


def test_population_cut_points_replace_the_defaults() -> None:
    stats = PopulationStats(
        computed_at=START,
        sample_size=10,
        population_estimate=10,
        base_currency="USD",
        activity=ActivityCuts(regular_per_week=0.2, heavy_per_week=2.0),
    )
    nine_in_ten_weeks = user(tenure_days=70, events=9)
    assert activity_level(nine_in_ten_weeks, None, THRESHOLDS) == "light"
    assert activity_level(nine_in_ten_weeks, stats, THRESHOLDS) == "regular"
    assert activity_level(user(tenure_days=70, events=20), stats, THRESHOLDS) == "heavy"


def test_never_seen_user_is_one_time() -> None:
    assert activity_level(Profile(user_id="u0"), None, THRESHOLDS) == "one_time"


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="regular_percentile"):
        ActivityThresholds(regular_percentile=80, heavy_percentile=40)
