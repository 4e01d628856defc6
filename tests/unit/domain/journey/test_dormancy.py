"""domain/journey/dormancy.py: which tier a user is in, measured on the configured activity signal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from winback.config.dormancy import Dormancy, Signal, Tier
from winback.domain.journey.dormancy import dormancy_tier, dormant_since
from winback.models.profile import Profile

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TIERS = (
    Tier(name="lapsing", after_days=30),
    Tier(name="dormant", after_days=90),
    Tier(name="lost", after_days=180),
)


def rules(signal: Signal = "order") -> Dormancy:
    return Dormancy(signal=signal, tiers=TIERS)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def tier_name(profile: Profile, signal: Signal = "order") -> str | None:
    tier = dormancy_tier(profile, rules(signal), NOW)
    return tier.name if tier else None


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, None),
        (29.99, None),
        (30, "lapsing"),
        (30.01, "lapsing"),
        (89.99, "lapsing"),
        (90, "dormant"),
        (179.99, "dormant"),
        (180, "lost"),
        (5000, "lost"),
    ],
)
def test_tier_is_deepest_threshold_crossed_with_exact_boundaries(days: float, expected: str | None) -> None:
    profile = Profile(user_id="u1", first_seen_at=ago(days + 400), last_event_at={"order": ago(days)})
    assert tier_name(profile) == expected


def test_one_second_short_of_threshold_is_not_in_tier() -> None:
    profile = Profile(
        user_id="u1", first_seen_at=ago(400), last_event_at={"order": NOW - timedelta(days=30) + timedelta(seconds=1)}
    )
    assert tier_name(profile) is None


def test_order_signal_ignores_recent_logins() -> None:
    profile = Profile(
        user_id="u1",
        first_seen_at=ago(400),
        last_seen_at=ago(1),
        last_event_at={"order": ago(100), "login": ago(1)},
    )
    assert tier_name(profile, "order") == "dormant"


def test_login_signal_measures_from_last_login() -> None:
    profile = Profile(
        user_id="u1",
        first_seen_at=ago(400),
        last_seen_at=ago(1),
        last_event_at={"order": ago(100), "login": ago(45)},
    )
    assert tier_name(profile, "login") == "lapsing"


def test_any_signal_measures_from_last_seen() -> None:
    profile = Profile(
        user_id="u1",
        first_seen_at=ago(400),
        last_seen_at=ago(10),
        last_event_at={"order": ago(200), "view": ago(10)},
    )
    assert tier_name(profile, "any") is None
    assert tier_name(profile, "order") == "lost"


def test_never_ordered_user_is_measured_from_first_seen() -> None:
    profile = Profile(
        user_id="u1",
        first_seen_at=ago(95),
        last_seen_at=ago(2),
        last_event_at={"login": ago(2), "signup": ago(95)},
    )
    assert dormant_since(profile, rules("order")) == ago(95)
    assert tier_name(profile, "order") == "dormant"


def test_never_ordered_recent_signup_is_not_dormant() -> None:
    profile = Profile(user_id="u1", first_seen_at=ago(29.99), last_event_at={"signup": ago(29.99)})
    assert tier_name(profile, "order") is None


def test_dormant_since_prefers_signal_over_first_seen() -> None:
    profile = Profile(user_id="u1", first_seen_at=ago(300), last_event_at={"order": ago(40)})
    assert dormant_since(profile, rules("order")) == ago(40)


def test_profile_without_any_activity_has_no_tier() -> None:
    profile = Profile(user_id="u1")
    assert dormant_since(profile, rules()) is None
    assert dormancy_tier(profile, rules(), NOW) is None


def test_activity_after_as_of_means_active() -> None:
    profile = Profile(user_id="u1", first_seen_at=ago(400), last_event_at={"order": NOW + timedelta(days=3)})
    assert tier_name(profile) is None


def test_non_utc_timestamps_are_compared_as_instants() -> None:
    shanghai = timezone(timedelta(hours=8))
    exactly_30_days = (NOW - timedelta(days=30)).astimezone(shanghai)
    profile = Profile(user_id="u1", first_seen_at=ago(400), last_event_at={"order": exactly_30_days})
    assert tier_name(profile) == "lapsing"


def test_single_tier_program() -> None:
    one = Dormancy(signal="order", tiers=(Tier(name="quiet", after_days=14),))
    profile = Profile(user_id="u1", last_event_at={"order": ago(14)})
    tier = dormancy_tier(profile, one, NOW)
    assert tier is not None
    assert tier.name == "quiet"
