"""Hourly schedule: release deferred jobs (quiet hours over, next journey step due) back to the SendQueue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.release import release_due

# One run's ceiling; whatever is left is released by the next hourly run.
MAX_ITEMS_PER_RUN = 50_000
# Stop taking new groups of ten when less than this is left, so the run ends cleanly before the timeout.
TIME_MARGIN_MS = 15_000


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    as_of = scheduled_time(event, d.clock)
    result = release_due(
        d.deferrals,
        d.settings.send_queue_url,
        as_of,
        MAX_ITEMS_PER_RUN,
        keep_going=lambda: context.get_remaining_time_in_millis() > TIME_MARGIN_MS,
    )
    metrics.add_metric(name="Released", unit=MetricUnit.Count, value=result.released)
    summary = asdict(result) | {"as_of": as_of.isoformat()}
    if result.more:
        logger.warning("deferred jobs still due after this run; the next run continues", extra=summary)
    else:
        logger.info("deferred jobs released", extra=summary)
    return summary
