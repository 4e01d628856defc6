"""The shared quota lease in memory (adapters/quota_lease.py's counter, without DynamoDB): one
record of hourly buckets that every pacer leases from, atomically by construction."""

from __future__ import annotations

from datetime import datetime

from winback.domain.journey.quota_window import Lease, take


class InMemoryQuotaLeases:
    """The QuotaLeases port: the buckets, and how many lease calls were made (one store write each)."""

    def __init__(self) -> None:
        self.hours: dict[int, int] = {}
        self.calls = 0

    def lease(self, want: int, limit: int, now: datetime) -> Lease:
        self.calls += 1
        lease, self.hours = take(self.hours, want, limit, now)
        return lease
