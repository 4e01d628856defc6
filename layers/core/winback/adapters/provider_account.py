"""What SES says the account may send: its maximum send rate and what is left of its 24-hour quota.

Read with SES v2 GetAccount at most once per TTL per container (one call per minute is nothing next
to the sends it paces). A failed read (no permission, a throttle, an endpoint that lacks the call,
as moto does) leaves email unpaced for that minute: SES's own throttling and its quota error (which
pauses the channel) still stop it, and nothing is burned.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from winback.adapters import clients
from winback.models.delivery import SendLimits
from winback.runtime.observability import logger

TTL_SECONDS = 60.0


def read_limits(now: float) -> SendLimits:
    """One GetAccount call (the provider client: one attempt, short timeouts)."""
    quota = clients.sesv2().get_account()["SendQuota"]
    max_24h = int(quota.get("Max24HourSend", -1))
    return SendLimits(
        max_send_rate=float(quota["MaxSendRate"]),
        max_24h_send=None if max_24h < 0 else max_24h,
        sent_last_24h=int(quota.get("SentLast24Hours", 0)),
        read_at=now,
    )


class EmailAccount:
    """The container's view of the SES account, read again once it is older than `ttl`."""

    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        timer: Callable[[], float] = time.monotonic,
        read: Callable[[float], SendLimits] | None = None,
    ) -> None:
        self._ttl = ttl
        self._timer = timer
        self._read = read
        self._limits: SendLimits | None = None
        self._read_at: float | None = None

    def limits(self) -> SendLimits | None:
        now = self._timer()
        if self._read_at is None or now - self._read_at >= self._ttl:
            self._read_at = now
            try:
                self._limits = (self._read or read_limits)(now)
            except Exception as exc:
                self._limits = None
                logger.warning("SES GetAccount failed; email unpaced until the next read", extra={"error": repr(exc)})
        return self._limits
