"""Plan: size the parallel scan of ActivityTable and enqueue one scan job per segment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from winback.adapters.queues import send_all
from winback.domain.audience.scan_plan import segment_count
from winback.models.jobs import ScanJob

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.config.scan import ScanLimits


@dataclass(frozen=True)
class PlanResult:
    run_id: str
    item_count: int
    segments: int


def run_id_for(as_of: datetime) -> str:
    return f"run-{as_of:%Y%m%dT%H%M%SZ}"


def plan_run(as_of: datetime, store: ActivityStore, scan_queue_url: str, limits: ScanLimits) -> PlanResult:
    """Running twice for the same time enqueues the same jobs again; the send ledger keeps that harmless."""
    count = store.item_count()
    segments = segment_count(count, limits)
    run_id = run_id_for(as_of)
    jobs = [ScanJob(run_id=run_id, as_of=as_of, segment=i, total_segments=segments) for i in range(segments)]
    send_all(scan_queue_url, [job.model_dump_json() for job in jobs])
    return PlanResult(run_id=run_id, item_count=count, segments=segments)
