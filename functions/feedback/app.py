"""Feedback topic consumer: SES bounces/complaints and inbound SMS STOP/TD/退订 -> SuppressionTable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.messaging_store import MessagingStore
from winback.adapters.suppression_store import SuppressionStore
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.feedback import handle_feedback

FEEDBACK_METRIC = {"delivery": "delivered", "hard_bounce": "bounced", "complaint": "complained"}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    program = load_program(settings.program_path)
    suppression = SuppressionStore(settings.suppression_table)
    messaging = MessagingStore(settings.messaging_table)
    kinds: dict[str, int] = {}
    for record in event.records:
        outcome = handle_feedback(record.sns.message, suppression, messaging, program, SystemClock().now())
        kind = outcome.kind
        kinds[kind] = kinds.get(kind, 0) + 1
        emit_counts({FEEDBACK_METRIC.get(kind, kind): 1}, "Feedback")
        if outcome.paused:
            metrics.add_metric(name="CampaignPaused", unit=MetricUnit.Count, value=1)
        if kind == "unknown":
            logger.warning("unknown feedback message ignored", extra={"sns_message_id": record.sns.message_id})
    logger.info("feedback handled", extra=kinds)
    return kinds
