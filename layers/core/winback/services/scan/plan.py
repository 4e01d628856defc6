"""Plan: size the parallel scan of ActivityTable and enqueue one scan job per segment, each with its
share of the day's capacity for first messages (when admission is on)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from winback.adapters.queues import send_all
from winback.domain.audience.admission import ChannelLimits, day_capacity, segment_share
from winback.domain.audience.scan_plan import segment_count
from winback.models.jobs import ScanJob
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.config.program import Program
    from winback.config.scan import ScanLimits
    from winback.models.delivery import SendLimits


@dataclass(frozen=True)
class PlanResult:
    run_id: str
    item_count: int
    segments: int
    capacity: Mapping[str, int] | None = None


def run_id_for(as_of: datetime) -> str:
    return f"run-{as_of:%Y%m%dT%H%M%SZ}"


def plan_run(
    as_of: datetime,
    store: ActivityStore,
    scan_queue_url: str,
    limits: ScanLimits,
    capacity: Mapping[str, int] | None = None,
) -> PlanResult:
    """Running twice for the same time enqueues the same jobs again; the send ledger keeps that
    harmless (the second run's admissions find the users already marked). `capacity`: first messages
    for the day per channel (domain.audience.admission.day_capacity); None admits everyone found."""
    count = store.item_count()
    segments = segment_count(count, limits)
    run_id = run_id_for(as_of)
    jobs = [
        ScanJob(
            run_id=run_id,
            as_of=as_of,
            segment=i,
            total_segments=segments,
            admit=None if capacity is None else segment_share(capacity, segments, i),
        )
        for i in range(segments)
    ]
    send_all(scan_queue_url, [job.model_dump_json() for job in jobs])
    return PlanResult(run_id=run_id, item_count=count, segments=segments, capacity=capacity)


def todays_capacity(
    program: Program, as_of: datetime, read_email: Callable[[float], SendLimits]
) -> dict[str, int] | None:
    """The day's first messages per channel from what SES says now (GetAccount) and the config; None
    when admission is off. An unreadable account leaves email limited by the config alone (the
    sender's pacer and SES's own quota error still hold what is sent)."""
    if not program.admission.enabled:
        return None
    try:
        email = read_email(time.monotonic())
        limits = ChannelLimits(email.max_24h_send, email.max_send_rate, program.pacing.sms_per_second)
    except Exception as exc:
        logger.warning("SES GetAccount failed; email capacity from the config alone", extra={"error": repr(exc)})
        limits = ChannelLimits(None, None, program.pacing.sms_per_second)
    return day_capacity(program.admission, limits, as_of.date())
