"""The stored shape of a profile: top-level key, version and tier; everything else in one document."""

from __future__ import annotations

from datetime import UTC, datetime

from winback.models.profile import Profile


def _profile() -> Profile:
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    return Profile(
        user_id="u1",
        version=4,
        first_seen_at=at,
        last_event_at={"order": at},
        spend_minor={"USD": 1250},
        email="a@example.com",
        consent={"email": True},
        updated_at={"email": at},
        tier="dormant",
        tier_entered_at=at,
    )


def test_item_keeps_only_key_version_tier_journeys_and_engagement_at_the_top_level() -> None:
    item = _profile().to_item()
    assert set(item) == {"user_id", "version", "tier", "tier_entered_at", "journeys", "engagement", "doc"}
    assert item["version"] == 4 and item["tier"] == "dormant"


def test_item_round_trips_to_the_same_profile() -> None:
    profile = _profile()
    assert Profile.from_item(profile.to_item()) == profile


def test_top_level_attributes_win_over_the_document() -> None:
    item = _profile().to_item()
    item["tier"] = "lost"  # as scan's UpdateItem changes it, without rewriting the document
    item["version"] = 5
    restored = Profile.from_item(item)
    assert restored.tier == "lost" and restored.version == 5


def test_assignment_and_journeys_round_trip_as_top_level_json() -> None:
    from winback.models.profile import Assignment, Journeys

    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assignment = Assignment(
        campaign_id="c", arm="holdout", segment="loyal", tier="dormant", episode=at.isoformat(), assigned_at=at
    )
    profile = _profile().model_copy(update={"assignment": assignment, "journeys": Journeys(failed=2)})
    item = profile.to_item()
    assert isinstance(item["assignment"], str) and isinstance(item["journeys"], str)
    back = Profile.from_item(item)
    assert back.assignment == assignment
    assert back.journeys.failed == 2
