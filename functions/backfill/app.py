"""Step Functions Distributed Map child: one batch of history rows → profiles (see services/ingest/backfill)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import logger, metrics, tracer
from winback.services.ingest.backfill import apply_batch


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    skew = timedelta(seconds=d.settings.clock_skew_seconds)
    signal = d.program.dormancy.signal
    result = apply_batch(event, d.backfill_store, d.backfill_files, signal, d.clock.now(), d.catalog, skew)
    metrics.add_metric(name="BackfillRowsApplied", unit=MetricUnit.Count, value=result.applied)
    metrics.add_metric(name="BackfillRowsRejected", unit=MetricUnit.Count, value=result.rejected)
    logger.info("backfill batch", extra=result.as_dict())
    return result.as_dict()
