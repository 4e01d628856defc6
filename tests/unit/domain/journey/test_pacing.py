from datetime import UTC, datetime, timedelta

from winback.domain.journey.pacing import next_send_at

NOW = datetime(2026, 3, 2, 12, 0, 0, 400_000, tzinfo=UTC)
RESET = NOW + timedelta(hours=5)


def test_room_left_goes_now() -> None:
    assert next_send_at(NOW, 14, 13, 100, 50_000, RESET) == NOW


def test_a_full_second_waits_for_the_next_one() -> None:
    assert next_send_at(NOW, 14, 14, 100, 50_000, RESET) == datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC)


def test_a_spent_quota_waits_for_its_reset() -> None:
    assert next_send_at(NOW, 14, 0, 50_000, 50_000, RESET) == RESET
