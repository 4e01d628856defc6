"""domain/journey/caps.py: rolling-window frequency caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.config.guards import FrequencyCap
from winback.domain.journey.caps import has_room, live_sends

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CAP = FrequencyCap(max_messages=2, window_days=7)


def at(delta: timedelta) -> int:
    return int((NOW - delta).timestamp())


def test_sends_older_than_window_drop_out() -> None:
    sends = {"old": at(timedelta(days=8)), "recent": at(timedelta(days=1))}
    assert live_sends(sends, CAP, NOW) == {"recent": at(timedelta(days=1))}


def test_send_exactly_window_ago_has_left_the_window() -> None:
    sends = {"edge": at(timedelta(days=7))}
    assert live_sends(sends, CAP, NOW) == {}


def test_send_one_second_inside_window_still_counts() -> None:
    sends = {"edge": at(timedelta(days=7) - timedelta(seconds=1))}
    assert live_sends(sends, CAP, NOW) == sends


@pytest.mark.parametrize(
    ("count", "room"),
    [(0, True), (1, True), (2, False), (3, False)],
)
def test_has_room_only_below_max(count: int, room: bool) -> None:
    sends = {f"s{i}": at(timedelta(hours=i + 1)) for i in range(count)}
    assert has_room(sends, CAP, NOW) is room


def test_expired_sends_free_up_room() -> None:
    sends = {"a": at(timedelta(days=10)), "b": at(timedelta(days=9)), "c": at(timedelta(days=1))}
    assert has_room(sends, CAP, NOW) is True


def test_window_rolls_forward_with_now() -> None:
    sends = {"a": at(timedelta(days=6)), "b": at(timedelta(days=5))}
    assert has_room(sends, CAP, NOW) is False
    assert has_room(sends, CAP, NOW + timedelta(days=1)) is True
    assert has_room(sends, CAP, NOW + timedelta(days=2)) is True
