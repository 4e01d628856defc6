"""Pacing (pure): when the next message may go, given the provider's limits and what went already."""

from __future__ import annotations

from datetime import datetime, timedelta


def next_send_at(
    now: datetime, max_per_second: int, sent_this_second: int, sent_in_quota: int, quota: int, quota_resets: datetime
) -> datetime:
    """`now` while there is room; the next whole second once this second's rate is used; the quota's
    reset once the quota is spent."""
    if sent_in_quota >= quota:
        return max(now, quota_resets)
    if sent_this_second >= max_per_second:
        return now.replace(microsecond=0) + timedelta(seconds=1)
    return now
