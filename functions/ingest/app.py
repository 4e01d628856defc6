"""POST /events: the upstream activity webhook (Standard Webhooks signature, 1-100 events)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Protocol, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters import clients
from winback.adapters.activity_store import ActivityStore
from winback.adapters.coupon_store import CouponStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.secrets import get_secret_text
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.measurement.attribution import Attribution
from winback.models.events import ActivityEvent
from winback.runtime.observability import emit_counts, logger, metrics, tracer
from winback.services.ingest import (
    AttributionRules,
    InvalidBody,
    WebhookRejected,
    apply_events,
    validate_body,
    verify_signature,
)

app = APIGatewayHttpResolver()
IDEMPOTENCY_CONFIG = IdempotencyConfig(event_key_jmespath="webhook_id", expires_after_seconds=24 * 3600)


class _Apply(Protocol):
    def __call__(self, *, request: dict[str, str], events: list[ActivityEvent]) -> dict[str, Any]: ...


@cache
def _apply_once() -> _Apply:
    settings = get_settings()
    persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=clients.dynamodb())
    store = ActivityStore(settings.activity_table)
    messaging = MessagingStore(settings.messaging_table)
    coupons = CouponStore(settings.incentive_table)
    program = load_program(settings.program_path)
    rules = AttributionRules(program.reactivation_signal(), program.experiments.attribution_window_days)

    def record(found: Attribution) -> None:
        a = found.assignment
        messaging.add_cell(a.campaign_id, None, a.arm, a.segment, found.counts)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=persistence, config=IDEMPOTENCY_CONFIG
    )
    def apply(*, request: dict[str, str], events: list[ActivityEvent]) -> dict[str, Any]:
        return apply_events(
            events, request["webhook_id"], store, program.dormancy.signal, rules, record, coupons
        ).as_dict()

    return cast(_Apply, apply)


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


@app.post("/events")
@tracer.capture_method
def post_events() -> Response[str]:
    event = app.current_event
    body = event.decoded_body or ""
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    try:
        webhook_id = verify_signature(get_secret_text(get_settings().webhook_secret_name), body, headers)
    except WebhookRejected as exc:
        logger.warning("webhook rejected", extra={"reason": str(exc)})
        metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
        return _json(401, {"message": "webhook signature verification failed"})
    try:
        raw = json.loads(body)
    except json.JSONDecodeError:
        return _json(400, {"message": "invalid body", "errors": [{"field": "body", "message": "not valid JSON"}]})
    try:
        events = validate_body(raw)
    except InvalidBody as exc:
        metrics.add_metric(name="InvalidBody", unit=MetricUnit.Count, value=1)
        return _json(400, {"message": "invalid body", "errors": exc.errors})
    result = _apply_once()(request={"webhook_id": webhook_id}, events=events)
    metrics.add_metric(name="EventsIngested", unit=MetricUnit.Count, value=len(events))
    emit_counts(
        {k: result.get(k, 0) for k in ("reactivated", "coupons_redeemed", "coupons_rejected")},
        "Ingest",
    )
    logger.info("events ingested", extra={"webhook_id": webhook_id, **result})
    return _json(200, result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
