"""ScanQueue consumer: one parallel-scan segment per job; dormant users become packed send jobs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.models.jobs import ScanJob
from winback.runtime.deps import deps
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.scan.job import scan_segment

# A failed job is reported back to SQS (redelivered, then the DLQ after 5 receives); the function
# itself does not error, so one poison job never blocks the others of its batch.
# A failed job is logged with its traceback by the processor (Powertools' Logger serves as one).
processor = BatchProcessor(
    event_type=EventType.SQS,
    raise_on_entire_batch_failure=False,
    logger=logger,  # type: ignore[arg-type]
)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    job = ScanJob.model_validate_json(record.body)
    d = deps()
    models = d.scan_models()
    result = scan_segment(
        job,
        d,
        models.segmenter,
        lambda_context.get_remaining_time_in_millis,
        scorer=models.scorer,
        skips=models.skips,
        allocations=models.allocations,
    )
    emit_counts(result.tally, "Scan")
    logger.info(
        "segment scanned",
        extra={"run_id": job.run_id, "segment": job.segment, "continued": result.continued, **result.tally},
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
