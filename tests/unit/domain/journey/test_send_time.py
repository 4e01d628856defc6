"""domain/journey/send_time.py: the hours a user is active, on their own clock, and when their best hour comes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from winback.config.guards import QuietHours
from winback.domain.journey.send_time import (
    HOUR_COUNT_CAP,
    HOURS,
    best_hour,
    best_hour_send_at,
    count_hour,
    next_occurrence,
)

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")
NIGHT = QuietHours(start=time(21), end=time(8))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)  # hypothesis draws naive bounds and attaches the zone


# --- the histogram ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(times=st.lists(instants, max_size=600), zone=st.sampled_from((*ZONES, None, "Not/AZone")))
def test_histogram_stays_bounded_and_counts_each_event_at_its_local_hour(
    times: list[datetime], zone: str | None
) -> None:
    """Guard: count_hour's halving at HOUR_COUNT_CAP (24 counters, each below the cap), and the hour read
    on the user's clock (UTC for no zone or an unknown one)."""
    hours: list[int] = []
    local_zone = ZoneInfo(zone) if zone in ZONES else ZoneInfo("UTC")
    for at in times:
        before = hours or [0] * HOURS
        hours = count_hour(hours, at, zone)
        assert len(hours) == HOURS and all(0 <= c < HOUR_COUNT_CAP for c in hours)
        hour = at.astimezone(local_zone).hour
        bumped = before[hour] + 1
        expected = [*before]
        expected[hour] = bumped
        if bumped >= HOUR_COUNT_CAP:
            expected = [c // 2 for c in expected]
        assert hours == expected


@settings(max_examples=25, deadline=None)
@given(at=instants, burst=st.integers(HOUR_COUNT_CAP, 3 * HOUR_COUNT_CAP), zone=st.sampled_from(ZONES))
def test_a_burst_at_one_hour_stays_below_the_cap_and_keeps_its_peak(at: datetime, burst: int, zone: str) -> None:
    """Guard: count_hour's halving at HOUR_COUNT_CAP (a heavy user's counter never grows without bound)."""
    hours = count_hour([], at + timedelta(hours=5), zone)
    for _ in range(burst):
        hours = count_hour(hours, at, zone)
        assert max(hours) < HOUR_COUNT_CAP
    assert hours.index(max(hours)) == at.astimezone(ZoneInfo(zone)).hour


def test_the_same_instant_counts_at_each_zones_own_hour() -> None:
    at = utc(2026, 7, 1, 12)
    assert count_hour([], at, "America/New_York").index(1) == 8  # EDT, UTC-4
    assert count_hour([], at, "Europe/Berlin").index(1) == 14  # CEST, UTC+2
    assert count_hour([], at, "Asia/Shanghai").index(1) == 20
    assert count_hour([], at, None).index(1) == 12


def test_a_counter_at_the_cap_halves_every_counter() -> None:
    hours = [0] * HOURS
    hours[9], hours[20] = HOUR_COUNT_CAP - 1, 7
    after = count_hour(hours, utc(2026, 1, 1, 9), None)
    assert after[9] == HOUR_COUNT_CAP // 2 and after[20] == 3


# --- the best hour ---------------------------------------------------------------------------------


def test_too_little_history_gives_the_default_hour() -> None:
    """Guard: best_hour's minimum of events (the campaign's best_hour_min_events)."""
    hours = [0] * HOURS
    hours[19] = 4
    assert best_hour(hours, min_events=5, default_hour=10) == 10
    hours[19] = 5
    assert best_hour(hours, min_events=5, default_hour=10) == 19
    assert best_hour([], min_events=1, default_hour=10) == 10


def test_a_tie_goes_to_the_earliest_hour() -> None:
    hours = [0] * HOURS
    hours[7] = hours[18] = 6
    assert best_hour(hours, min_events=5, default_hour=10) == 7


# --- when it comes, across DST ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "now", "hour", "expected"),
    [
        # New York springs forward on 2026-03-08 (02:00 EST -> 03:00 EDT): 19:00 on the 7th is EST
        # (00:00 UTC on the 8th), 19:00 on the 8th is EDT (23:00 UTC).
        ("America/New_York", utc(2026, 3, 8, 1), 19, utc(2026, 3, 8, 23)),
        ("America/New_York", utc(2026, 3, 7, 12), 19, utc(2026, 3, 8, 0)),
        # The skipped hour itself: 02:00 on the 8th does not exist, the clocks change at 07:00 UTC.
        ("America/New_York", utc(2026, 3, 8, 1), 2, utc(2026, 3, 8, 7)),
        # Berlin falls back on 2026-10-25 (03:00 CEST -> 02:00 CET): 09:00 on the 25th is CET (08:00 UTC).
        ("Europe/Berlin", utc(2026, 10, 24, 12), 9, utc(2026, 10, 25, 8)),
        ("Europe/Berlin", utc(2026, 10, 24, 6), 9, utc(2026, 10, 24, 7)),
        # The repeated hour: 02:00 on the 25th occurs twice; the earlier one (00:00 UTC) is meant.
        ("Europe/Berlin", utc(2026, 10, 24, 23), 2, utc(2026, 10, 25, 0)),
        # Shanghai has no DST: 20:00 CST is 12:00 UTC every day.
        ("Asia/Shanghai", utc(2026, 3, 8, 13), 20, utc(2026, 3, 9, 12)),
        ("Asia/Shanghai", utc(2026, 10, 25, 1), 20, utc(2026, 10, 25, 12)),
    ],
)
def test_next_occurrence_is_the_users_wall_clock_hour_across_dst(
    zone: str, now: datetime, hour: int, expected: datetime
) -> None:
    """Guard: next_occurrence reads the hour through zoneinfo (local_instant), not a fixed offset."""
    at = next_occurrence(now, hour, zone)
    assert at == expected and at > now
    assert at.astimezone(ZoneInfo(zone)).hour == hour or (zone, hour) == ("America/New_York", 2)


def test_within_the_hour_it_is_now() -> None:
    now = utc(2026, 7, 1, 23, 40)  # 19:40 in New York
    assert next_occurrence(now, 19, "America/New_York") == now


@settings(max_examples=300, deadline=None)
@given(now=instants, hour=st.integers(0, 23), zone=st.sampled_from(ZONES))
def test_next_occurrence_is_the_first_instant_at_that_local_hour(now: datetime, hour: int, zone: str) -> None:
    at = next_occurrence(now, hour, zone)
    assert now <= at <= now + timedelta(hours=25)
    local = at.astimezone(ZoneInfo(zone))
    if at > now:
        # the hour starts there (or, where the clocks skipped it, the hour after the change does)
        assert local.minute == 0 or zone == "Australia/Lord_Howe"
        assert local.hour in (hour, (hour + 1) % 24) or zone == "Australia/Lord_Howe"


def test_best_hour_in_quiet_hours_waits_for_their_end() -> None:
    """Guard: best_hour_send_at's next_allowed: a best hour inside the quiet window goes at its end."""
    now = utc(2026, 7, 1, 12)  # 08:00 in New York
    at = best_hour_send_at(now, 22, "America/New_York", NIGHT, "UTC", None)
    assert at == utc(2026, 7, 2, 12)  # 22:00 is quiet until 08:00 the next morning (EDT)


def test_a_best_hour_past_the_deadline_is_none_so_the_message_goes_now() -> None:
    """Guard: best_hour_send_at's deadline check (never dropped because of best_hour)."""
    now = utc(2026, 7, 1, 12)  # 20:00 in Shanghai
    assert best_hour_send_at(now, 9, "Asia/Shanghai", None, "UTC", now + timedelta(hours=12)) is None
    assert best_hour_send_at(now, 9, "Asia/Shanghai", None, "UTC", now + timedelta(hours=13)) == utc(2026, 7, 2, 1)


def test_a_profile_without_a_zone_has_its_quiet_hours_in_the_programs_zone() -> None:
    now = utc(2026, 7, 1, 12)
    # best hour 02:00 UTC = 22:00 in New York (EDT): quiet there until 08:00 = 12:00 UTC
    at = best_hour_send_at(now, 2, None, NIGHT, "America/New_York", None)
    assert at == utc(2026, 7, 2, 12)
