"""SendQueue consumer: guarded, idempotent delivery of packed send jobs (partial batch failures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.models.jobs import SendJob
from winback.runtime.deps import deps
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.send import send_job

# Failed jobs go back to SQS (redelivered; the ledger makes that safe) and to the DLQ after 5 receives.
# A failed job is logged with its traceback by the processor (Powertools' Logger serves as one).
processor = BatchProcessor(
    event_type=EventType.SQS,
    raise_on_entire_batch_failure=False,
    logger=logger,  # type: ignore[arg-type]
)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    job = SendJob.model_validate_json(record.body)
    d = deps()
    # The job stops taking recipients when the function's remaining time runs low (Powertools
    # passes the context to a record handler that asks for it).
    time_left = lambda_context.get_remaining_time_in_millis if lambda_context is not None else None
    tally = send_job(job, d.program, d.send_deps, time_left)
    emit_counts(tally, "Send")
    logger.info("send job done", extra={"run_id": job.run_id, "campaign_id": job.campaign_id, **tally})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
