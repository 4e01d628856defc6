"""The provider's 24-hour quota, shared by every send container through one counter of leases.

SES counts a send against its quota for the 24 hours after it. Containers lease blocks of sends from
one record of hourly buckets (how many sends were leased in each hour): a send leased in hour `h`
goes out within hour `h` (a lease is dropped when its hour ends) and so has left SES's window by the
end of hour `h + 24`. The sends leased in the buckets still inside that window never exceed the
limit, so no rolling 24 hours ever holds more than the quota, whatever the number of containers; the
price is up to an hour of quota held longer than SES holds it, and the unused rest of a lease.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

HOUR_SECONDS = 3600
WINDOW_HOURS = 24


@dataclass(frozen=True)
class Lease:
    """Sends granted to one container for `hour` (0: none left), and when the quota frees again."""

    granted: int
    hour: int
    free_at: datetime | None = None  # when granted is 0: when the oldest bucket leaves the window


def hour_of(now: datetime) -> int:
    return int(now.timestamp()) // HOUR_SECONDS


def live(hours: Mapping[int, int], hour: int) -> dict[int, int]:
    """The buckets still inside the window at any moment of `hour`."""
    return {h: n for h, n in hours.items() if h >= hour - WINDOW_HOURS and n > 0}


def take(hours: Mapping[int, int], want: int, limit: int, now: datetime) -> tuple[Lease, dict[int, int]]:
    """Up to `want` sends for the hour of `now` within `limit`, and the buckets to store after it."""
    hour = hour_of(now)
    buckets = live(hours, hour)
    granted = max(0, min(want, limit - sum(buckets.values())))
    if granted == 0:
        return Lease(0, hour, _free_at(buckets, hour)), buckets
    buckets[hour] = buckets.get(hour, 0) + granted
    return Lease(granted, hour), buckets


def _free_at(buckets: Mapping[int, int], hour: int) -> datetime:
    """When the oldest bucket leaves the window (the next hour when none holds anything)."""
    oldest = min(buckets, default=hour - WINDOW_HOURS)
    return datetime.fromtimestamp((oldest + WINDOW_HOURS + 1) * HOUR_SECONDS, UTC)
