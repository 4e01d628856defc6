"""Quiet hours: when a message may reach a user, judged on the user's own wall clock (pure).

A window such as 21:00-08:00 is read in the user's IANA time zone (the program's default zone when
the profile has none or an unknown one). Each day's window runs from the instant its start occurs to
the instant its end occurs. Around daylight-saving changes a wall-clock time may not exist (spring
forward) or occur twice (fall back): a missing time means the first instant after the gap, a
repeated one its earlier occurrence. So on a fall-back night the window ends the first time the
clock shows its end, and the repeated hour after that is not quiet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from winback.config.guards import QuietHours

_DAY = timedelta(days=1)


def zone_for(name: str | None, default: str) -> ZoneInfo:
    """The user's zone, or the default zone when the name is missing or not a known IANA zone."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # unknown or malformed (a directory such as "America", a path): fall back
    return ZoneInfo(default)


def next_allowed(now: datetime, window: QuietHours | None, time_zone: str | None, default_time_zone: str) -> datetime:
    """`now` (in UTC) if a message may be sent now, else the UTC instant the user's quiet window ends.

    The result is never before `now` and at most the window's length (under 24 h, plus an hour on
    a day that changes the clocks) after it.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    if window is None:
        return now
    zone = zone_for(time_zone, default_time_zone)
    today = now.astimezone(zone).date()
    # Only yesterday's window (if it wraps midnight) or today's can contain now.
    for start_day in (today - _DAY, today):
        start = local_instant(start_day, window.start, zone)
        end = local_instant(start_day + _DAY if window.wraps_midnight else start_day, window.end, zone)
        if start <= now < end:
            return end
    return now


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the wall clock in `zone` shows `clock` on `day`.

    A repeated time (fall back) gives its earlier occurrence; a skipped time (spring forward) gives
    the first instant after the gap, which is the transition itself.
    """
    naive = datetime.combine(day, clock)
    # PEP 495: fold=0 picks the earlier of two occurrences; for a skipped time it applies the offset
    # in force before the gap (a UTC instant after the transition), fold=1 the one after (before it).
    earlier = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) == naive:
        return earlier
    before_gap = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return _transition(before_gap, earlier, zone)


def _transition(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second in (lo, hi] whose UTC offset in `zone` differs from lo's (zoneinfo exposes no list)."""
    offset = lo.astimezone(zone).utcoffset()
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == offset:
            lo_s = mid
        else:
            hi_s = mid
    return datetime.fromtimestamp(hi_s, UTC)
