"""POST /events: the upstream activity webhook (Standard Webhooks signature, 1-100 events)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.http import json_reply
from winback.runtime.idempotency import IDEMPOTENCY_CONFIG
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.runtime.request import BadRequest, body_text, bounded_headers, raw_body
from winback.services.ingest.validation import InvalidBody
from winback.services.ingest.webhook import WebhookRejected, validate_body, verify_signature

app = APIGatewayHttpResolver()


def _invalid(errors: list[dict[str, str]]) -> Response[str]:
    metrics.add_metric(name="InvalidBody", unit=MetricUnit.Count, value=1)
    return json_reply(400, {"message": "invalid body", "errors": errors})


@app.post("/events")
@tracer.capture_method
def post_events() -> Response[str]:
    d = deps()
    try:
        headers = bounded_headers(app.current_event.raw_event)
        body = raw_body(app.current_event.raw_event)
    except BadRequest as exc:
        return _invalid([exc.as_error()])
    try:
        # A UTF-8 body is verified as text by the Standard Webhooks library; any other is verified
        # over its bytes, so that a sender learns it is not UTF-8 (400) only once it proved who it is.
        try:
            text: str | None = body_text(body)
        except BadRequest:
            text = None
        webhook_id = verify_signature(d.webhook_secrets, body if text is None else text, headers)
    except WebhookRejected as exc:
        logger.warning("webhook rejected", extra={"reason": str(exc)})
        metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
        return json_reply(401, {"message": "webhook signature verification failed"})
    if text is None:
        return _invalid([{"field": "body", "message": "not valid UTF-8"}])
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return _invalid([{"field": "body", "message": "not valid JSON"}])
    try:
        events = validate_body(raw, d.clock.now(), timedelta(seconds=d.settings.clock_skew_seconds))
    except InvalidBody as exc:
        return _invalid(exc.errors)
    except RecursionError:
        return _invalid([{"field": "body", "message": "nested too deeply"}])
    result = d.apply_webhook(request={"webhook_id": webhook_id}, events=events)
    metrics.add_metric(name="EventsIngested", unit=MetricUnit.Count, value=len(events))
    emit_counts(
        {k: result.get(k, 0) for k in ("reactivated", "coupons_redeemed", "coupons_rejected")},
        "Ingest",
    )
    logger.info("events ingested", extra={"webhook_id": webhook_id, **result})
    return json_reply(200, result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
