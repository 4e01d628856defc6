"""Feedback topic consumer: SES bounces/complaints and inbound SMS STOP/TD/退订 -> SuppressionTable.
Also the SMS delivery-status logs (a CloudWatch Logs subscription event, `awslogs`): delivered or not."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.feedback.sms_status import handle_sms_status
from winback.services.feedback.topic import handle_feedback

# Feedback kind -> the headline metric it counts as (template.yaml's dashboard and alarms use these).
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
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "awslogs" in event:
        return _sms_status(event)
    return _sns_feedback(event, context)


def _sms_status(event: dict[str, Any]) -> dict[str, Any]:
    from winback.adapters.channel_pause import ChannelPauses

    d = deps()
    counts = handle_sms_status(event, d.messaging, ChannelPauses(d.messaging.table), d.clock.now())
    emit_counts(counts, "SmsStatus")
    return dict(counts)


@event_source(data_class=SNSEvent)
def _sns_feedback(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    d = deps()
    kinds: dict[str, int] = {}
    for record in event.records:
        result = handle_feedback(record.sns.message, d.suppression, d.messaging, d.program, d.clock.now(), d.activity)
        kind = result.kind
        kinds[kind] = kinds.get(kind, 0) + 1
        emit_counts({FEEDBACK_METRIC.get(kind, kind): 1}, "Feedback")
        if result.paused:
            metrics.add_metric(name="CampaignPaused", unit=MetricUnit.Count, value=1)
        if kind == "unknown":
            logger.warning("unknown feedback message ignored", extra={"sns_message_id": record.sns.message_id})
    logger.info("feedback handled", extra=kinds)
    return kinds
