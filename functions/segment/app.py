"""POST /events/segment: Segment-spec calls (identify, track, page, screen; single or batch) from a
Segment or RudderStack webhook destination, signed (X-Signature) or with the bearer secret."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.http import json_reply
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.runtime.request import BadRequest, bounded_headers, raw_body
from winback.services.ingest.segment import SegmentOutcome, SegmentRejected, authenticate, ingest_segment
from winback.services.ingest.validation import InvalidBody

app = APIGatewayHttpResolver()


# What this route reads from the request, each within a bound (runtime/request.py): an X-Signature is
# 40 hex digits, a bearer secret a few hundred characters at most.
HEADERS = {"x-signature": 128, "authorization": 1024, "content-type": 256}


def _invalid(errors: list[dict[str, str]]) -> Response[str]:
    metrics.add_metric(name="InvalidBody", unit=MetricUnit.Count, value=1)
    return json_reply(400, {"message": "invalid body", "errors": errors})


@app.post("/events/segment")
@tracer.capture_method
def post_segment() -> Response[str]:
    d = deps()
    try:
        headers = bounded_headers(app.current_event.raw_event, HEADERS)
        body = raw_body(app.current_event.raw_event)
    except BadRequest as exc:
        return _invalid([exc.as_error()])
    try:
        method = authenticate(d.segment_secrets, body, headers)
    except SegmentRejected as exc:
        logger.warning("segment request rejected", extra={"reason": str(exc)})
        metrics.add_metric(name="SegmentRejected", unit=MetricUnit.Count, value=1)
        return json_reply(401, {"message": "authentication failed"})
    try:
        raw = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return _invalid([{"field": "body", "message": "not valid JSON"}])
    skew = timedelta(seconds=d.settings.clock_skew_seconds)
    try:
        outcome = ingest_segment(raw, body, d.activity, d.messaging, d.coupons, d.program, d.clock.now(), skew)
    except InvalidBody as exc:
        metrics.add_metric(name="SegmentCallsRejected", unit=MetricUnit.Count, value=1)
        return _invalid(exc.errors)
    _count(outcome, method)
    return json_reply(200, outcome.reply)


def _count(outcome: SegmentOutcome, method: str) -> None:
    """Metrics and one log line of counts (the refused fields by name, never a value or an id)."""
    reply = outcome.reply
    metrics.add_metric(name="EventsIngested", unit=MetricUnit.Count, value=reply.get("events", 0))
    metrics.add_metric(name="SegmentCalls", unit=MetricUnit.Count, value=reply["calls"])
    metrics.add_metric(name="SegmentCallsRejected", unit=MetricUnit.Count, value=outcome.rejected_calls)
    metrics.add_metric(name="SegmentMessageIdReused", unit=MetricUnit.Count, value=len(outcome.reused_at))
    emit_counts({k: reply.get(k, 0) for k in ("reactivated", "coupons_redeemed", "coupons_rejected")}, "Ingest")
    counts = {k: v for k, v in reply.items() if isinstance(v, int)}
    refused = sorted({r["field"] for r in reply["rejected"]})
    left_out = sorted({r["field"] for r in reply["left_out"]})
    logger.info(
        "segment calls ingested",
        extra={"auth": method, **counts, "rejected_fields": refused, "left_out_fields": left_out},
    )
    if outcome.reused_at:
        # A sender reused a messageId for a different statement: the first one stands.
        logger.warning("segment messageId reused with another body", extra={"positions": list(outcome.reused_at)})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
