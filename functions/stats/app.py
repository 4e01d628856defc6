"""Daily schedule, ahead of the dormancy scan: sample ActivityTable and store population stats
(RFM quintiles, activity cut points, popular items) in MessagingTable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.scan.population_stats import run_population_stats


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    program = d.program
    result = run_population_stats(
        scheduled_time(event, d.clock), d.activity, d.population_stats, program.segments, program.recommendations
    )
    metrics.add_metric(name="PopulationSampleSize", unit=MetricUnit.Count, value=result.stats.sample_size)
    summary = {
        "sample_size": result.stats.sample_size,
        "population_estimate": result.stats.population_estimate,
        "item_count": result.item_count,
        "total_segments": result.plan.total_segments,
        "segments": list(result.plan.segments),
        "truncated": result.truncated,
    }
    logger.info("population stats stored", extra=summary)
    return summary
