"""The weekly export's rules (moved out of its handler): which segment a user is exported under,
and the scheduled run's id."""

from __future__ import annotations

from datetime import UTC, datetime

from winback.models.profile import Assignment, Profile
from winback.services.audience_export import current_segment, export_run_id

AT = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def _assignment(tier: str) -> Assignment:
    return Assignment(campaign_id="c", arm="a", segment="vip", tier=tier, episode="e", assigned_at=AT)


def test_a_user_is_exported_under_the_segment_of_their_current_win_back() -> None:
    assert current_segment(Profile(user_id="u", tier="dormant", assignment=_assignment("dormant"))) == "vip"


def test_an_assignment_from_an_earlier_tier_gives_way_to_the_tier() -> None:
    assert current_segment(Profile(user_id="u", tier="lost", assignment=_assignment("dormant"))) == "lost"
    assert current_segment(Profile(user_id="u", tier="lost")) == "lost"


def test_a_user_without_a_tier_is_not_exported() -> None:
    assert current_segment(Profile(user_id="u", assignment=_assignment("dormant"))) is None


def test_the_run_id_is_the_scheduled_time() -> None:
    assert export_run_id(AT) == "export-20261130T040000Z"
