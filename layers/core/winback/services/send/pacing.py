"""The send worker's pacer: one per container, asked once before each provider call.

Email goes at this worker's share of SES's maximum send rate and stops when the 24-hour quota is
spent; SMS goes at its share of program.yaml's `pacing.sms_per_second`; push and the inbox are not
paced. The share is the rate divided by the send queue's maximum concurrency, so all workers
together stay under the account's rate. The gap between sends is measured on a monotonic timer
(real seconds, whatever the business clock says) and a short one is slept through here.

The quota is shared by every container through one counter (ports.QuotaLeases,
adapters/quota_lease.py): a worker leases a small block of sends at a time, one atomic write per
block, so the sum admitted never exceeds the quota however stale each container's GetAccount is.
The quota left is the smaller of the lease's rest and what GetAccount said minus what this worker
has sent since (which sees the sends of other applications on the account, late). What neither
foresaw, SES throttles: that throttle defers the rest of the job (defer_after_throttle).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.domain.journey.pacing import SEND_NOW, Pace, after_throttle, next_send_at
from winback.domain.journey.quota_window import Lease, hour_of
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.config.pacing import Pacing
    from winback.models.delivery import SendLimits
    from winback.services.send.guards import Candidate
    from winback.services.send.job_run import JobRun
    from winback.services.send.ports import AccountLimits, QuotaLeases

# SES's quota is a rolling 24 hours: by then every send it counts now has left the window.
QUOTA_WINDOW = timedelta(hours=24)
# A lease covers about this many seconds of the worker's rate, at most LEASE_MAX sends and a quarter
# of its share of the quota: one write per block, and what a container leaves unused (its hour ends,
# it is recycled) stays small.
LEASE_SECONDS = 5
LEASE_MAX = 50
# When the lease cannot be read or written, email waits this long (a deferral, not an error).
LEASE_RETRY = timedelta(minutes=1)


class WorkerPacer:
    """The Pacer port for one send worker (its share of the account's rate and quota)."""

    def __init__(
        self,
        account: AccountLimits,
        pacing: Pacing,
        concurrency: int,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.monotonic,
        leases: QuotaLeases | None = None,
    ) -> None:
        self._account = account
        self._pacing = pacing
        self._concurrency = concurrency
        self._sleep = sleep
        self._timer = timer
        self._leases = leases
        self._lease = Lease(0, -1)  # the sends left of this worker's lease, for its hour
        self._last: dict[str, float] = {}  # channel -> when this worker last sent on it (timer)
        self._booked = 0  # emails sent since the account was read
        self._read_at: float | None = None

    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace:
        """SEND_NOW (after sleeping through a short gap; the send is booked), or why and until when
        the message waits ("defer") or that it cannot go before the step's deadline ("drop")."""
        if channel == "sms":
            return self._paced(channel, now, not_after, self._pacing.sms_per_second / self._concurrency)
        if channel != "email":
            return SEND_NOW
        limits = self._account.limits()
        if limits is None:
            return SEND_NOW
        if limits.read_at != self._read_at:
            self._read_at, self._booked = limits.read_at, 0
        quota_left, window_ends_at = self._quota_left(limits, now)
        pace = self._paced(
            channel, now, not_after, limits.max_send_rate / self._concurrency, quota_left, window_ends_at
        )
        if pace is SEND_NOW:
            self._booked += 1
            self._lease = Lease(self._lease.granted - 1, self._lease.hour)
        return pace

    def _paced(
        self,
        channel: str,
        now: datetime,
        not_after: datetime | None,
        per_second: float,
        quota_left: int | None = None,
        window_ends_at: datetime | None = None,
    ) -> Pace:
        last = self._last.get(channel)
        pace = next_send_at(
            now=now,
            per_second=per_second,
            since_last_send=None if last is None else timedelta(seconds=self._timer() - last),
            quota_left=quota_left,
            window_ends_at=window_ends_at or now + QUOTA_WINDOW,
            not_after=not_after,
            max_wait=timedelta(milliseconds=self._pacing.max_wait_ms),
        )
        if pace.action in ("defer", "drop"):
            return pace
        if pace.action == "wait":
            self._sleep(pace.wait.total_seconds())
        self._last[channel] = self._timer()
        return SEND_NOW

    def _quota_left(self, limits: SendLimits, now: datetime) -> tuple[int | None, datetime]:
        """The sends this worker may still make (None: no quota) and when a spent quota frees."""
        account_left = limits.quota_left
        if account_left is not None:
            account_left -= self._booked
        if self._leases is None or limits.max_24h_send is None:
            return account_left, now + QUOTA_WINDOW
        lease = self._leased(limits, now)
        left = lease.granted if account_left is None else min(lease.granted, account_left)
        return left, lease.free_at or now + QUOTA_WINDOW

    def _leased(self, limits: SendLimits, now: datetime) -> Lease:
        """This worker's lease, taken again when it is spent or its hour has ended."""
        if self._lease.granted > 0 and self._lease.hour == hour_of(now):
            return self._lease
        assert self._leases is not None and limits.max_24h_send is not None
        try:
            self._lease = self._leases.lease(self._block(limits, limits.max_24h_send), limits.max_24h_send, now)
        except Exception as exc:
            logger.warning("quota lease failed; email waits", extra={"error": repr(exc)})
            return Lease(0, hour_of(now), now + LEASE_RETRY)
        if self._lease.granted == 0 and self._lease.free_at is None:
            return Lease(0, self._lease.hour, now + LEASE_RETRY)  # lost to other containers: soon again
        return self._lease

    def _block(self, limits: SendLimits, quota: int) -> int:
        """How many sends to lease at once: a few seconds of this worker's rate, at most LEASE_MAX and
        at most a quarter of the worker's share of the quota (what a lease can leave unused)."""
        seconds = math.ceil(limits.max_send_rate / self._concurrency * LEASE_SECONDS)
        return max(1, min(LEASE_MAX, seconds, quota // (4 * self._concurrency)))


def defer_after_throttle(run: JobRun, item: Candidate, now: datetime) -> None:
    """The provider throttled `item`'s send (its claim given back): it and the job's later messages on
    the channel wait THROTTLE_BACKOFF (kind `rate`), or are dropped past the step's deadline."""
    wait(run, item, after_throttle(now, run.job.not_after))


def wait(run: JobRun, item: Candidate, pace: Pace) -> None:
    """`item` and the job's later messages on its channel wait for `pace` (deferred, or dropped)."""
    assert pace.until is not None
    run.paced_out[item.channel] = pace
    if pace.action == "defer":
        run.tally.add(item.recipient, f"deferred_by_{pace.kind}")
    run.hold(item.recipient, pace.until, pace.kind)
