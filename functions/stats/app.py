"""Daily schedule, ahead of the dormancy scan: sample ActivityTable and store population stats
(RFM quintiles, activity cut points, popular items) and the BG/NBD and Gamma-Gamma fits on the same
sample in MessagingTable. The one function with the stats layer (numpy, scipy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.models.population import PopulationStats
from winback.runtime.deps import deps
from winback.runtime.observability import heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.scan.adaptive import with_allocations
from winback.services.scan.incentive_skips import with_incentive_skips
from winback.services.scan.model_fit import fit_purchase_models
from winback.services.scan.population_stats import StatsResult, run_population_stats


def _fit_summary(result: StatsResult) -> dict[str, Any]:
    bgnbd, gamma_gamma = result.stats.bgnbd, result.stats.gamma_gamma
    return {
        "bgnbd_status": bgnbd.status.value if bgnbd else None,
        "bgnbd_repeat_buyers": bgnbd.repeat_buyers if bgnbd else None,
        "bgnbd_log_likelihood": bgnbd.log_likelihood if bgnbd else None,
        "gamma_gamma_status": gamma_gamma.status.value if gamma_gamma else None,
    }


def _both(
    first: Callable[[PopulationStats], PopulationStats], then: Callable[[PopulationStats], PopulationStats]
) -> Callable[[PopulationStats], PopulationStats]:
    """The decisions the stats step adds to the day's stats, stored with them in one write."""
    return lambda stats: then(first(stats))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    program = d.program
    as_of = scheduled_time(event, d.clock)
    result = run_population_stats(
        as_of,
        d.activity,
        d.population_stats,
        program.segments,
        program.recommendations,
        fit_purchase_models,
        _both(
            with_incentive_skips(program, d.messaging, d.population_stats, as_of),
            with_allocations(program, d.messaging, as_of),
        ),
    )
    metrics.add_metric(name="PopulationSampleSize", unit=MetricUnit.Count, value=result.stats.sample_size)
    summary = {
        "sample_size": result.stats.sample_size,
        "population_estimate": result.stats.population_estimate,
        "item_count": result.item_count,
        "total_segments": result.plan.total_segments,
        "segments": list(result.plan.segments),
        "truncated": result.truncated,
        **_fit_summary(result),
        "incentive_skips": len(result.stats.incentive_skips),
        "allocations": {a.campaign_id: a.weights for a in result.stats.allocations.values()},
    }
    logger.info("population stats stored", extra=summary)
    return summary
