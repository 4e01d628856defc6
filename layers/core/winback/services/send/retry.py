"""Retry a store write the send path cannot do without (giving a claim back, writing a chunk's
bookkeeping) with its own backoff, on top of the SDK's retries: a throttled table usually drains
within seconds, and the alternative is a message stranded or a record left to the sweeper."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_WAIT_S = 0.2
MAX_WAIT_S = 2.0


def with_backoff(action: Callable[[], T], attempts: int, sleep: Callable[[float], None]) -> T:
    """`action()`, tried up to `attempts` times with exponential backoff and full jitter between
    tries; the last failure is raised."""
    for attempt in range(attempts - 1):
        try:
            return action()
        except Exception:  # whatever the store raised: tried again, then raised
            sleep(random.uniform(0, min(MAX_WAIT_S, FIRST_WAIT_S * 2**attempt)))  # noqa: S311 - jitter, not a secret
    return action()
