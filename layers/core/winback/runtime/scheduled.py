"""The time a scheduled run stands for: EventBridge Scheduler's `<aws.scheduler.scheduled-time>`,
delivered as `{"time": ...}` (template.yaml). A retried invocation therefore repeats the same run
(the same plan, sample, release or export), never a later one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winback.domain.clock import Clock


def scheduled_time(event: Any, clock: Clock) -> datetime:
    """The run's scheduled time; the clock's now when invoked without one (by hand)."""
    scheduled = event.get("time") if isinstance(event, dict) else None
    return datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else clock.now()
