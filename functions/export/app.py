"""Weekly schedule: export the hashed identifiers of consented dormant users, one CSV per segment, to S3."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.audience_export import export_scheduled


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    as_of = scheduled_time(event, d.clock)
    result = export_scheduled(
        as_of, d.activity, d.audience_sink.run, d.program, d.clock.now(), d.suppression.suppressed
    )
    metrics.add_metric(name="AudienceUsersExported", unit=MetricUnit.Count, value=sum(result.counts.values()))
    logger.info(
        "audiences exported",
        extra={
            "run_id": result.run_id,
            "manifest": result.manifest_key,
            "segments": result.counts,
            "tally": dict(result.tally),
        },
    )
    return {"run_id": result.run_id, "manifest_key": result.manifest_key, "segments": result.counts}
