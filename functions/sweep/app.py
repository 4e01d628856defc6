"""Hourly schedule: claims left without an outcome (a send job killed mid-way) are recorded uncertain."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import emit_counts, heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.sweep import sweep_claims

# Stop reading when less than this is left; the next hourly run continues.
TIME_MARGIN_MS = 15_000


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    as_of = scheduled_time(event, d.clock)
    totals = sweep_claims(
        d.messaging, as_of, keep_going=lambda: context.get_remaining_time_in_millis() > TIME_MARGIN_MS
    )
    emit_counts({"uncertain": totals["uncertain"]}, "Sweep")
    summary = {"as_of": as_of.isoformat(), **totals}
    logger.info("claims swept", extra=summary)
    return summary
