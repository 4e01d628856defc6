"""SendQueue consumer: guarded, idempotent delivery of packed send jobs (partial batch failures)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.channels import EmailChannel, PushChannel, SmsChannel
from winback.adapters.coupon_store import CouponStore
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.inbox_store import InboxChannel, InboxStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.offer_bus import OfferBus
from winback.adapters.personalize_recommender import recommender_for
from winback.adapters.population_stats_store import PopulationStatsStore
from winback.adapters.secrets import get_secret_text
from winback.adapters.suppression_store import SuppressionStore
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.models.jobs import SendJob
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.send import SendDeps, send_job

# Failed jobs go back to SQS (redelivered; the ledger makes that safe) and to the DLQ after 5 receives.
# A failed job is logged with its traceback by the processor (Powertools' Logger serves as one).
processor = BatchProcessor(
    event_type=EventType.SQS,
    raise_on_entire_batch_failure=False,
    logger=logger,  # type: ignore[arg-type]
)


@cache
def _deps() -> SendDeps:
    s = get_settings()
    program = load_program(s.program_path)
    clock = SystemClock()
    # Popularity comes from the daily stats step; a container reads it once (it changes daily).
    stats = PopulationStatsStore(s.messaging_table).load()
    return SendDeps(
        activity_table=s.activity_table,
        messaging=MessagingStore(s.messaging_table),
        suppression=SuppressionStore(s.suppression_table),
        deferrals=DeferralStore(s.deferral_table),
        coupons=CouponStore(s.incentive_table),
        offers=OfferBus(s.offers_bus_name, s.incentive_table) if s.offers_bus_name else None,
        email=EmailChannel(s.sender_email, s.ses_configuration_set),
        sms=SmsChannel(),
        push=PushChannel(),
        inbox=InboxChannel(InboxStore(s.messaging_table), clock, program.inbox.ttl_days),
        recommender=recommender_for(program.recommendations, stats),
        unsubscribe_key=get_secret_text(s.unsubscribe_secret_name).encode(),
        public_base_url=s.public_base_url,
        clock=clock,
    )


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    job = SendJob.model_validate_json(record.body)
    tally = send_job(job, load_program(get_settings().program_path), _deps())
    emit_counts(tally, "Send")
    logger.info("send job done", extra={"run_id": job.run_id, "campaign_id": job.campaign_id, **tally})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
