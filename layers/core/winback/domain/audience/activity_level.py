"""How engaged a user was before going quiet (pure).

Engagement is the rate of events per week over the user's tenure (first seen to last seen, at
least one week, so a burst on a single day is not mistaken for heavy use), plus the tenure itself:
- `one_time`: tenure shorter than `one_time_max_tenure_days` (came once, never returned);
- `heavy` / `regular` / `light`: by events per week against the population's percentiles (from the
  stats step) or, until it has run, the config's default rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from winback.config.segments import ActivityThresholds
from winback.models.population import ActivityCuts, PopulationStats
from winback.models.profile import Profile

ActivityLevel = Literal["heavy", "regular", "light", "one_time"]
_MIN_WEEKS = 1.0


@dataclass(frozen=True)
class Engagement:
    events: int
    tenure_days: float
    events_per_week: float


def engagement(profile: Profile) -> Engagement:
    events = sum(max(n, 0) for n in profile.event_counts.values())
    if profile.first_seen_at is None or profile.last_seen_at is None:
        return Engagement(events=events, tenure_days=0.0, events_per_week=0.0)
    tenure_days = max((profile.last_seen_at - profile.first_seen_at).total_seconds() / 86_400, 0.0)
    weeks = max(tenure_days / 7, _MIN_WEEKS)
    return Engagement(events=events, tenure_days=tenure_days, events_per_week=events / weeks)


def is_one_time(measure: Engagement, thresholds: ActivityThresholds) -> bool:
    return measure.events <= 1 or measure.tenure_days < thresholds.one_time_max_tenure_days


def activity_cuts(stats: PopulationStats | None, thresholds: ActivityThresholds) -> ActivityCuts:
    if stats is not None and stats.activity is not None:
        return stats.activity
    return ActivityCuts(
        regular_per_week=thresholds.default_regular_per_week, heavy_per_week=thresholds.default_heavy_per_week
    )


def activity_level(profile: Profile, stats: PopulationStats | None, thresholds: ActivityThresholds) -> ActivityLevel:
    measure = engagement(profile)
    if is_one_time(measure, thresholds):
        return "one_time"
    cuts = activity_cuts(stats, thresholds)
    if measure.events_per_week >= cuts.heavy_per_week:
        return "heavy"
    if measure.events_per_week >= cuts.regular_per_week:
        return "regular"
    return "light"
