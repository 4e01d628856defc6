"""Send-time optimization: the hours of the day a user is active, and when their best hour next comes (pure).

Each profile keeps 24 counters, one per hour of the user's own wall clock (the profile's time zone,
UTC when it has none or an unknown one), bumped by the ingest merge for every event it applies. When
a counter reaches HOUR_COUNT_CAP every counter is halved: the histogram stays bounded (24 small
numbers in the profile's document, riding in the write that already happens) and recent habits weigh
more than old ones.

A step sent at `best_hour` waits for the next time the user's wall clock shows their most active hour
(the campaign's default hour with too little history), read with zoneinfo so it is right across
daylight-saving changes; a skipped hour (spring forward) means the instant the clocks change. The
time is then moved out of the channel's quiet hours, and when it falls after the step's deadline the
message is sent now instead (it already passed every guard, quiet hours included): best_hour never
drops a message.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from winback.config.guards import QuietHours
from winback.domain.journey.quiet_hours import local_instant, next_allowed, zone_for

HOURS = 24
HOUR_COUNT_CAP = 255
# The zone the histogram is kept in when the profile names none (or an unknown one).
HISTOGRAM_DEFAULT_ZONE = "UTC"


def count_hour(hours: list[int], at: datetime, time_zone: str | None) -> list[int]:
    """The histogram after one event at `at`, counted at the hour of the user's wall clock."""
    counts = hours if len(hours) == HOURS else [0] * HOURS
    local = at.astimezone(zone_for(time_zone, HISTOGRAM_DEFAULT_ZONE))
    counts = [*counts]
    counts[local.hour] += 1
    if counts[local.hour] >= HOUR_COUNT_CAP:
        counts = [c // 2 for c in counts]
    return counts


def best_hour(hours: list[int], min_events: int, default_hour: int) -> int:
    """The user's most active local hour (the earliest of a tie), or `default_hour` when the histogram
    holds fewer than `min_events` events."""
    if len(hours) != HOURS or sum(hours) < min_events:
        return default_hour
    return max(range(HOURS), key=lambda h: (hours[h], -h))


def next_occurrence(now: datetime, hour: int, time_zone: str | None) -> datetime:
    """`now` when the user's wall clock is in `hour`, else the next UTC instant it shows `hour`:00."""
    zone = zone_for(time_zone, HISTOGRAM_DEFAULT_ZONE)
    local = now.astimezone(zone)
    if local.hour == hour:
        return now.astimezone(UTC)
    day = local.date()
    for offset in range(3):  # today, tomorrow, or (after a skipped hour) the day after
        at = local_instant(day + timedelta(days=offset), time(hour), zone)
        if at > now:
            return at
    raise AssertionError("an hour of the day occurs within three days")  # pragma: no cover


def best_hour_send_at(
    now: datetime,
    hour: int,
    time_zone: str | None,
    quiet: QuietHours | None,
    default_time_zone: str,
    not_after: datetime | None,
) -> datetime | None:
    """When a best_hour message goes out: the next occurrence of `hour` on the user's clock (`now`
    while the clock is in that hour), moved out of the quiet window (read as the quiet-hours guard
    reads it, in `default_time_zone` for a profile without a zone); None when that is past the step's
    deadline (the caller sends now rather than drop the message)."""
    target = next_occurrence(now, hour, time_zone)
    target = next_allowed(target, quiet, time_zone, default_time_zone)
    if not_after is not None and target > not_after:
        return None
    return target
