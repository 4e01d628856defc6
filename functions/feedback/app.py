"""Feedback topic consumer: SES bounces/complaints and inbound SMS STOP/TD/退订 -> SuppressionTable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.feedback import handle_feedback

# Outcome kind -> the headline metric it counts as (template.yaml's dashboard and alarms use these).
FEEDBACK_METRIC = {
    "delivery": "delivered",
    "hard_bounce": "bounced",
    "complaint": "complained",
    "open": "opened",
    "machine_open": "machine_opened",
    "click": "clicked",
}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    d = deps()
    kinds: dict[str, int] = {}
    for record in event.records:
        outcome = handle_feedback(record.sns.message, d.suppression, d.messaging, d.program, d.clock.now(), d.activity)
        kind = outcome.kind
        kinds[kind] = kinds.get(kind, 0) + 1
        emit_counts({FEEDBACK_METRIC.get(kind, kind): 1}, "Feedback")
        if outcome.paused:
            metrics.add_metric(name="CampaignPaused", unit=MetricUnit.Count, value=1)
        if kind == "unknown":
            logger.warning("unknown feedback message ignored", extra={"sns_message_id": record.sns.message_id})
    logger.info("feedback handled", extra=kinds)
    return kinds
