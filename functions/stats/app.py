"""Daily schedule, ahead of the dormancy scan: sample ActivityTable and store population stats
(RFM quintiles, activity cut points, popular items) in MessagingTable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.activity_store import ActivityStore
from winback.adapters.population_stats_store import PopulationStatsStore
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.runtime.observability import logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.population_stats import run_population_stats


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    program = load_program(settings.program_path)
    segments, recommendations = program.segments, program.recommendations
    result = run_population_stats(
        scheduled_time(event, SystemClock()),
        ActivityStore(settings.activity_table),
        PopulationStatsStore(settings.messaging_table),
        segments,
        recommendations,
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
