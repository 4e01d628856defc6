"""Pacing one send to the provider's limits: send now, wait a moment, or defer to a later window.

`next_send_at` is the whole rule: the sender's pacer (services/send/pacing.py, the send service's
`ports.Pacer`) and `winback simulate`'s provider both ask it. The rate is the worker's share of the
provider's maximum send rate (the account's rate divided by the send queue's maximum concurrency);
sends are spaced at least 1 / rate apart, so no second ever holds more than the rate. A short gap
is waited out within the invocation; a long one, or a spent 24-hour quota, defers the message (to
when the gap ends, or to the end of the quota window) — and past the step's deadline it is dropped,
like every other hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Action = Literal["send", "wait", "defer", "drop"]


@dataclass(frozen=True)
class Pace:
    action: Action
    wait: timedelta = timedelta(0)  # "wait": how long before sending
    until: datetime | None = None  # "defer" / "drop": when the message could go
    kind: Literal["rate", "quota", ""] = ""  # why it cannot go now

    @property
    def wait_ms(self) -> int:
        return math.ceil(self.wait / timedelta(milliseconds=1))


SEND_NOW = Pace("send")

# After a throttle the pacer did not foresee (another application on the account, a quota read
# stale), how long the channel's remaining messages wait: the deferral's release picks them up.
THROTTLE_BACKOFF = timedelta(minutes=1)


def min_gap(per_second: float) -> timedelta:
    """The spacing that keeps every one-second window at or under `per_second`: with a fractional rate
    above one (7.5/s), spacing by 1/7.5 s would fit 8 sends into a second, so the rate is floored; the
    gap is rounded up to the microsecond (1/7 s rounded down would fit 8 sends into a second)."""
    if per_second <= 0:
        raise ValueError("per_second must be positive")
    effective = math.floor(per_second) if per_second >= 1 else per_second
    return timedelta(microseconds=math.ceil(1_000_000 / effective))


def next_send_at(
    *,
    now: datetime,
    per_second: float | None,
    since_last_send: timedelta | None,
    quota_left: int | None,
    window_ends_at: datetime,
    not_after: datetime | None,
    max_wait: timedelta,
) -> Pace:
    """What to do with the next send.

    `per_second`: the worker's rate (None: not paced); `since_last_send`: time since this worker's
    previous send on the channel (None: none yet); `quota_left`: sends left in the provider's
    24-hour window (None: no quota); `window_ends_at`: when the spent quota is certain to be free
    again; `not_after`: the step's deadline; `max_wait`: the longest gap waited out in place."""
    if quota_left is not None and quota_left <= 0:
        return later(window_ends_at, "quota", not_after)
    if per_second is None or since_last_send is None:
        return SEND_NOW
    wait = min_gap(per_second) - since_last_send
    if wait <= timedelta(0):
        return SEND_NOW
    if wait <= max_wait:
        return Pace("wait", wait=wait)
    return later(now + wait, "rate", not_after)


def after_throttle(now: datetime, not_after: datetime | None, backoff: timedelta = THROTTLE_BACKOFF) -> Pace:
    """The provider throttled a send: the channel's messages wait `backoff` (kind `rate`), or are
    dropped when that is past the step's deadline."""
    return later(now + backoff, "rate", not_after)


def later(until: datetime, kind: Literal["rate", "quota"], not_after: datetime | None) -> Pace:
    """Defer to `until` for `kind`, or drop when that is past the step's deadline."""
    if not_after is not None and until > not_after:
        return Pace("drop", until=until, kind=kind)
    return Pace("defer", until=until, kind=kind)
