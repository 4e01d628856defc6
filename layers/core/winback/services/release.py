"""Release: put deferred jobs that are due back on the SendQueue, then forget them.

Order matters. Each group of ten is sent first and deleted only once SQS has accepted it: a crash in
between leaves the jobs in the table and the next hourly run sends them again, which is harmless
because the sender's ledger allows one message per send key. Deleting first would lose jobs.
A job re-deferred after it was read is sent (the sender re-checks its guards) but survives the
conditional delete, so it is released again at its new time; the result counts it as kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING

from winback.adapters.queues import SQS_BATCH, send_all

if TYPE_CHECKING:
    from winback.adapters.deferral_store import DeferralStore


@dataclass(frozen=True)
class ReleaseResult:
    released: int  # bodies SQS accepted
    removed: int  # of those, jobs deleted from the table
    kept: int  # of those, jobs left in place because they were re-deferred (or removed) meanwhile
    more: bool  # stopped at max_items or for lack of time while due jobs remain


def _always() -> bool:
    return True


def release_due(
    store: DeferralStore,
    queue_url: str,
    now: datetime,
    max_items: int,
    *,
    keep_going: Callable[[], bool] = _always,
) -> ReleaseResult:
    """Release up to `max_items` jobs due at `now`, ten per SendMessageBatch; `keep_going` is asked after
    each group (the handler passes a check on the Lambda's remaining time)."""
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    pending = store.iter_due(now)
    released = removed = 0
    while released < max_items:
        group = list(islice(pending, min(SQS_BATCH, max_items - released)))
        if not group:
            return ReleaseResult(released, removed, released - removed, more=False)
        send_all(queue_url, [job.body for job in group])
        released += len(group)
        removed += sum(store.remove(job) for job in group)
        if not keep_going():
            break
    more = next(pending, None) is not None
    return ReleaseResult(released, removed, released - removed, more=more)
