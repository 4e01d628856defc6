"""The send worker's pacer: one per container, asked once before each provider call.

Email goes at this worker's share of SES's maximum send rate and stops when the 24-hour quota is
spent; SMS goes at its share of program.yaml's `pacing.sms_per_second`; push and the inbox are not
paced. The share is the rate divided by the send queue's maximum concurrency, so all workers
together stay under the account's rate. The gap between sends is measured on a monotonic timer
(real seconds, whatever the business clock says) and a short one is slept through here; the quota
left is what GetAccount said minus what this worker has sent since. Two workers may both spend the
last few sends of the quota: SES then answers with its quota error, which pauses the channel
(services/channel_pause.py) without burning anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.domain.journey.pacing import SEND_NOW, Pace, next_send_at

if TYPE_CHECKING:
    from winback.config.pacing import Pacing
    from winback.services.send.ports import AccountLimits

# SES's quota is a rolling 24 hours: by then every send it counts now has left the window.
QUOTA_WINDOW = timedelta(hours=24)


class WorkerPacer:
    """The Pacer port for one send worker (its share of the account's rate and quota)."""

    def __init__(
        self,
        account: AccountLimits,
        pacing: Pacing,
        concurrency: int,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._account = account
        self._pacing = pacing
        self._concurrency = concurrency
        self._sleep = sleep
        self._timer = timer
        self._last: dict[str, float] = {}  # channel -> when this worker last sent on it (timer)
        self._booked = 0  # emails sent since the account was read
        self._read_at: float | None = None

    def _limits(self, channel: str) -> tuple[float | None, int | None]:
        """This worker's rate on the channel and the quota left (None: not limited)."""
        if channel == "sms":
            return self._pacing.sms_per_second / self._concurrency, None
        if channel != "email":
            return None, None
        limits = self._account.limits()
        if limits is None:
            return None, None
        if limits.read_at != self._read_at:
            self._read_at, self._booked = limits.read_at, 0
        left = limits.quota_left
        return limits.max_send_rate / self._concurrency, None if left is None else left - self._booked

    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace:
        """SEND_NOW (after sleeping through a short gap; the send is booked), or why and until when
        the message waits ("defer") or that it cannot go before the step's deadline ("drop")."""
        per_second, quota_left = self._limits(channel)
        last = self._last.get(channel)
        pace = next_send_at(
            now=now,
            per_second=per_second,
            since_last_send=None if last is None else timedelta(seconds=self._timer() - last),
            quota_left=quota_left,
            window_ends_at=now + QUOTA_WINDOW,
            not_after=not_after,
            max_wait=timedelta(milliseconds=self._pacing.max_wait_ms),
        )
        if pace.action in ("defer", "drop"):
            return pace
        if pace.action == "wait":
            self._sleep(pace.wait.total_seconds())
        if per_second is not None:
            self._last[channel] = self._timer()
        if channel == "email":
            self._booked += 1
        return SEND_NOW
