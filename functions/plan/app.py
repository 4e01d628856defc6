"""Daily schedule: plan the dormancy scan (one ScanQueue job per parallel-scan segment)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.provider_account import read_limits
from winback.runtime.deps import deps
from winback.runtime.observability import heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.scan.plan import plan_run, todays_capacity


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    as_of = scheduled_time(event, d.clock)
    capacity = todays_capacity(d.program, as_of, read_limits)
    result = plan_run(as_of, d.activity, d.settings.scan_queue_url, d.program.scan, capacity)
    metrics.add_metric(name="ScanSegmentsPlanned", unit=MetricUnit.Count, value=result.segments)
    logger.info(
        "scan planned",
        extra={
            "run_id": result.run_id,
            "segments": result.segments,
            "items": result.item_count,
            "capacity": result.capacity,
        },
    )
    return {
        "run_id": result.run_id,
        "segments": result.segments,
        "item_count": result.item_count,
        "capacity": result.capacity,
    }
