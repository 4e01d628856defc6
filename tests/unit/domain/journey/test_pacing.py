"""domain/journey/pacing.py: never over the rate, deferred when the quota is spent, within the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.domain.journey.pacing import Pace, min_gap, next_send_at

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
WINDOW_END = NOW + timedelta(hours=24)
MAX_WAIT = timedelta(seconds=5)


def _pace(
    per_second: float | None = 7,
    since: timedelta | None = None,
    quota_left: int | None = None,
    not_after: datetime | None = None,
    now: datetime = NOW,
) -> Pace:
    return next_send_at(
        now=now,
        per_second=per_second,
        since_last_send=since,
        quota_left=quota_left,
        window_ends_at=WINDOW_END,
        not_after=not_after,
        max_wait=MAX_WAIT,
    )


def _run(per_second: float, sends: int) -> list[float]:
    """A worker sending as fast as `next_send_at` lets it, on a simulated clock (seconds)."""
    t, last, times = 0.0, None, []
    for _ in range(sends):
        pace = _pace(per_second, None if last is None else timedelta(seconds=t - last))
        if pace.action == "wait":
            t += pace.wait.total_seconds()
        assert pace.action in ("send", "wait")
        times.append(t)
        last = t
    return times


@pytest.mark.parametrize("per_second", [14 / 2, 7.5, 1, 0.5, 100])
def test_no_second_ever_holds_more_than_the_rate(per_second: float) -> None:
    """Guard: the spacing of next_send_at (min_gap, floored for fractional rates above one)."""
    times = _run(per_second, 200)
    window = max(1.0, 1 / per_second)  # below 1/s: at most one send per 1/rate seconds
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + window)
        assert in_window <= per_second * window, (start, in_window)


def test_the_rate_is_used_not_just_respected() -> None:
    """Guard: a send is not held longer than its gap (200 sends at 7/s take under 29 s, not more)."""
    times = _run(7, 200)
    assert times[-1] <= 199 * 0.143


def test_first_send_and_a_long_enough_gap_go_now() -> None:
    assert _pace(7, None).action == "send"
    assert _pace(7, timedelta(seconds=1)).action == "send"
    assert _pace(None, timedelta(0)).action == "send"  # not paced (unknown limits)


def test_a_short_gap_is_waited_out() -> None:
    pace = _pace(10, timedelta(milliseconds=40))
    assert pace.action == "wait" and pace.wait_ms == 60


def test_a_gap_longer_than_max_wait_defers_by_rate() -> None:
    """Guard: the max_wait bound; a worker rate of 0.1/s would otherwise sleep 10 s per message."""
    pace = _pace(0.1, timedelta(seconds=1))
    assert pace == Pace("defer", until=NOW + timedelta(seconds=9), kind="rate")


def test_spent_quota_defers_to_the_windows_end() -> None:
    """Guard: the quota check comes first, whatever the rate says."""
    assert _pace(7, None, quota_left=0) == Pace("defer", until=WINDOW_END, kind="quota")
    assert _pace(7, None, quota_left=-3).until == WINDOW_END  # overdrawn by another worker
    assert _pace(7, None, quota_left=1).action == "send"


def test_a_deferral_past_the_steps_deadline_is_a_drop() -> None:
    """Guard: the deadline check in _later (a message is not deferred past its step's deadline)."""
    assert _pace(7, None, quota_left=0, not_after=WINDOW_END - timedelta(seconds=1)).action == "drop"
    assert _pace(7, None, quota_left=0, not_after=WINDOW_END).action == "defer"
    assert _pace(0.1, timedelta(0), not_after=NOW + timedelta(seconds=5)).action == "drop"


def test_min_gap_rejects_a_rate_of_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        min_gap(0)
    assert min_gap(7.5) == timedelta(microseconds=142_858)
    assert min_gap(0.5) == timedelta(seconds=2)


# From issue 9b's per-second form of the same rule (now one module): room left goes now, a used-up
# rate waits for its gap, a spent quota waits for the window's end.
RESET = NOW + timedelta(hours=5)


def test_room_left_goes_now() -> None:
    pace = next_send_at(
        now=NOW,
        per_second=14,
        since_last_send=timedelta(seconds=1),
        quota_left=50_000 - 100,
        window_ends_at=RESET,
        not_after=None,
        max_wait=MAX_WAIT,
    )
    assert pace.action == "send"


def test_a_full_second_waits_for_the_next_one() -> None:
    pace = next_send_at(
        now=NOW,
        per_second=14,
        since_last_send=timedelta(0),
        quota_left=50_000 - 100,
        window_ends_at=RESET,
        not_after=None,
        max_wait=timedelta(0),
    )
    assert pace == Pace("defer", until=NOW + min_gap(14), kind="rate")


def test_a_spent_quota_waits_for_its_reset() -> None:
    pace = next_send_at(
        now=NOW,
        per_second=14,
        since_last_send=None,
        quota_left=0,
        window_ends_at=RESET,
        not_after=None,
        max_wait=MAX_WAIT,
    )
    assert pace.until == RESET and pace.kind == "quota"
