"""What the doors do with an erased user's data (models/erasure.py): drop it, and count it.

POST /events and POST /events/segment find the tombstone when a write would create the profile again
(ActivityStore.put_applying's check); the backfill finds it in the batch read it already makes
(BackfillStore.read). Either way the user's events are dropped, never applied, and counted in the
reply (`erased`) and the `ErasedUserEventsDropped` metric. A fresh profile never starts from them,
for as long as the tombstone lives (TOMBSTONE_TTL).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from winback.runtime.observability import metrics

T = TypeVar("T")
METRIC = "ErasedUserEventsDropped"


def count_dropped(events: int) -> int:
    """Count `events` of erased users dropped at a door (the metric); the same number, for the reply."""
    if events:
        metrics.add_metric(name=METRIC, unit=MetricUnit.Count, value=events)
    return events


def drop_erased(by_user: dict[str, list[T]], erased: Collection[str]) -> int:
    """Remove the erased users' entries from `by_user`, counted; the number of entries dropped."""
    dropped = sum(len(by_user.pop(user_id)) for user_id in list(by_user) if user_id in erased)
    return count_dropped(dropped)
