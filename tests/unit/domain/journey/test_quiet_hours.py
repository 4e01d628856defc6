"""Quiet hours in the user's own zone: wrapping windows, zones far apart, DST gaps and folds, fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import yaml
from pydantic import ValidationError

from winback.config.guards import QuietHours
from winback.domain.journey.quiet_hours import local_instant, next_allowed, zone_for

NIGHT = QuietHours(start=time(21), end=time(8))
NY = "America/New_York"
DEFAULT = "UTC"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def window(start: str, end: str) -> QuietHours:
    return QuietHours.model_validate({"start": start, "end": end})


# --- config ---------------------------------------------------------------------------------


def test_window_parses_quoted_clock_times_from_yaml() -> None:
    parsed = QuietHours.model_validate(yaml.safe_load("start: '21:00'\nend: '08:30'"))
    assert parsed == QuietHours(start=time(21), end=time(8, 30))
    assert parsed.wraps_midnight


def test_unquoted_yaml_time_is_rejected_instead_of_read_as_minutes() -> None:
    data = yaml.safe_load("start: 21:00\nend: '08:00'")
    assert data["start"] == 1260  # YAML 1.1 base-60 integer
    with pytest.raises(ValidationError, match="quoted"):
        QuietHours.model_validate(data)


def test_equal_start_and_end_is_rejected() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        window("08:00", "08:00")


def test_time_with_an_offset_is_rejected() -> None:
    with pytest.raises(ValidationError, match="no offset"):
        window("21:00+02:00", "08:00")


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError):
        QuietHours.model_validate({"start": "21:00", "end": "08:00", "zone": "UTC"})


# --- ordinary days --------------------------------------------------------------------------


def test_no_window_always_allows_now() -> None:
    now = utc(2026, 6, 15, 3)
    assert next_allowed(now, None, NY, DEFAULT) == now


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_allowed(datetime(2026, 6, 15, 3), NIGHT, NY, DEFAULT)


def test_result_is_in_utc_even_when_now_is_given_in_another_offset() -> None:
    now = datetime.fromisoformat("2026-06-15T12:00:00+08:00")
    assert next_allowed(now, NIGHT, NY, DEFAULT).tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 6, 15, 2), utc(2026, 6, 15, 12)),  # 22:00 EDT: until 08:00 tomorrow
        (utc(2026, 6, 15, 11), utc(2026, 6, 15, 12)),  # 07:00 EDT: until 08:00 today
        (utc(2026, 6, 15, 1), utc(2026, 6, 15, 12)),  # 21:00 EDT sharp: quiet
        (utc(2026, 6, 15, 12), utc(2026, 6, 15, 12)),  # 08:00 EDT sharp: allowed
        (utc(2026, 6, 15, 16), utc(2026, 6, 15, 16)),  # 12:00 EDT: allowed
        (utc(2026, 6, 15, 0, 59), utc(2026, 6, 15, 0, 59)),  # 20:59 EDT: allowed
    ],
)
def test_window_wrapping_midnight(now: datetime, expected: datetime) -> None:
    assert next_allowed(now, NIGHT, NY, DEFAULT) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 6, 15, 5), utc(2026, 6, 15, 6)),  # 13:00 CST: until 14:00
        (utc(2026, 6, 15, 4), utc(2026, 6, 15, 6)),  # 12:00 CST sharp: quiet
        (utc(2026, 6, 15, 6), utc(2026, 6, 15, 6)),  # 14:00 CST sharp: allowed
        (utc(2026, 6, 15, 15), utc(2026, 6, 15, 15)),  # 23:00 CST: allowed, the window does not wrap
    ],
)
def test_window_within_one_day(now: datetime, expected: datetime) -> None:
    assert next_allowed(now, window("12:00", "14:00"), "Asia/Shanghai", DEFAULT) == expected


def test_same_instant_is_quiet_in_shanghai_and_allowed_in_new_york() -> None:
    now = utc(2026, 6, 15, 13, 30)  # 21:30 in Shanghai, 09:30 in New York
    assert next_allowed(now, NIGHT, "Asia/Shanghai", DEFAULT) == utc(2026, 6, 16, 0)  # 08:00 CST
    assert next_allowed(now, NIGHT, NY, DEFAULT) == now


@pytest.mark.parametrize("zone", [None, "", "Mars/Olympus_Mons", "America", "../../etc/passwd", "america/new_york"])
def test_missing_or_unknown_zone_uses_the_default(zone: str | None) -> None:
    now = utc(2026, 6, 15, 13, 30)  # 21:30 in Shanghai
    assert next_allowed(now, NIGHT, zone, "Asia/Shanghai") == utc(2026, 6, 16, 0)
    assert next_allowed(now, NIGHT, zone, NY) == now  # 09:30 in New York


def test_known_zone_wins_over_the_default() -> None:
    assert zone_for("Asia/Shanghai", NY).key == "Asia/Shanghai"


# --- daylight saving: America/New_York springs forward 2026-03-08 02:00 EST -> 03:00 EDT -----


def test_spring_forward_night_ends_at_eight_daylight_time() -> None:
    now = utc(2026, 3, 8, 3)  # 22:00 EST on the 7th
    assert next_allowed(now, NIGHT, NY, DEFAULT) == utc(2026, 3, 8, 12)  # 08:00 EDT


def test_end_inside_the_spring_forward_gap_is_the_first_instant_after_it() -> None:
    now = utc(2026, 3, 8, 6)  # 01:00 EST; 02:30 does not exist today
    assert next_allowed(now, window("21:00", "02:30"), NY, DEFAULT) == utc(2026, 3, 8, 7)  # 03:00 EDT


def test_minute_after_the_gap_is_allowed_when_the_window_ended_inside_it() -> None:
    assert next_allowed(utc(2026, 3, 8, 7), window("21:00", "02:30"), NY, DEFAULT) == utc(2026, 3, 8, 7)


def test_start_inside_the_spring_forward_gap_begins_at_the_gap_end() -> None:
    quiet = window("02:30", "06:00")
    assert next_allowed(utc(2026, 3, 8, 6, 59), quiet, NY, DEFAULT) == utc(2026, 3, 8, 6, 59)  # 01:59 EST
    assert next_allowed(utc(2026, 3, 8, 7), quiet, NY, DEFAULT) == utc(2026, 3, 8, 10)  # 03:00 EDT -> 06:00 EDT


def test_local_instant_of_a_skipped_time_is_the_transition() -> None:
    assert local_instant(datetime(2026, 3, 8).date(), time(2, 0), zone_for(NY, DEFAULT)) == utc(2026, 3, 8, 7)


# --- daylight saving: America/New_York falls back 2026-11-01 02:00 EDT -> 01:00 EST ----------


def test_fall_back_night_ends_at_eight_standard_time() -> None:
    now = utc(2026, 11, 1, 1)  # 21:00 EDT on Oct 31: a 12-hour night of 11 wall-clock hours
    assert next_allowed(now, NIGHT, NY, DEFAULT) == utc(2026, 11, 1, 13)  # 08:00 EST


def test_ambiguous_end_uses_the_earlier_instant() -> None:
    now = utc(2026, 11, 1, 4)  # 00:00 EDT; 01:30 happens twice tonight
    assert next_allowed(now, window("22:00", "01:30"), NY, DEFAULT) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_repeated_hour_after_an_ambiguous_end_is_allowed() -> None:
    now = utc(2026, 11, 1, 6, 15)  # 01:15 EST, the second time the clock shows it
    assert next_allowed(now, window("22:00", "01:30"), NY, DEFAULT) == now


# --- Australia/Lord_Howe moves its clocks by 30 minutes -------------------------------------


def test_lord_howe_half_hour_spring_forward_gap() -> None:
    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00; 02:15 never happens.
    now = utc(2026, 10, 3, 14)  # 00:30 +10:30
    assert next_allowed(now, window("22:00", "02:15"), "Australia/Lord_Howe", DEFAULT) == utc(2026, 10, 3, 15, 30)


def test_lord_howe_half_hour_fall_back_uses_earlier_instant() -> None:
    # 2026-04-05 02:00 +11:00 -> 01:30 +10:30; 01:45 happens twice.
    now = utc(2026, 4, 4, 13)  # 00:00 +11:00
    assert next_allowed(now, window("22:00", "01:45"), "Australia/Lord_Howe", DEFAULT) == utc(2026, 4, 4, 14, 45)


# --- invariants over whole DST weeks --------------------------------------------------------

SWEEP_ZONES = ("America/New_York", "Australia/Lord_Howe", "Europe/London", "Asia/Kathmandu", "Asia/Shanghai")
SWEEP_WINDOWS = (
    NIGHT,
    window("02:30", "06:00"),
    window("22:00", "01:30"),
    window("00:00", "07:00"),
    window("12:00", "14:00"),
)
# Each sweep starts the day before a DST change: US, UK, and Lord Howe in both directions.
SWEEP_DAYS = (
    utc(2026, 3, 7),
    utc(2026, 3, 28),
    utc(2026, 4, 3),
    utc(2026, 10, 2),
    utc(2026, 10, 24),
    utc(2026, 10, 31),
)


@pytest.mark.parametrize("zone", SWEEP_ZONES)
def test_result_is_never_past_never_beyond_a_day_and_an_hour_and_always_allowed(zone: str) -> None:
    for day in SWEEP_DAYS:
        for quiet in SWEEP_WINDOWS:
            for step in range(0, 2 * 24 * 60, 11):
                now = day + timedelta(minutes=step)
                allowed = next_allowed(now, quiet, zone, DEFAULT)
                assert now <= allowed <= now + timedelta(hours=25), (zone, quiet, now)
                assert next_allowed(allowed, quiet, zone, DEFAULT) == allowed, (zone, quiet, now)
