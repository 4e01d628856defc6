"""GET /unsubscribe shows a confirmation page; POST /unsubscribe (RFC 8058 one-click) unsubscribes.

GET never changes anything: mail scanners follow links, and RFC 8058 has receivers POST instead.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.activity_store import ActivityStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.secrets import get_secret_text
from winback.adapters.suppression_store import SuppressionStore
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.content.locales import resolve_locale
from winback.domain.clock import SystemClock
from winback.domain.links.tokens import InvalidToken, UnsubscribeClaim, verify_token
from winback.runtime.observability import logger, metrics, tracer
from winback.services.unsubscribe import unsubscribe
from winback.web.pages import unsubscribe_confirm_page, unsubscribe_invalid_page, unsubscribed_page

app = APIGatewayHttpResolver()


def _html(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=content_types.TEXT_HTML + "; charset=utf-8", body=body)


def _claim() -> UnsubscribeClaim:
    token = app.current_event.get_query_string_value("token", "") or ""
    key = get_secret_text(get_settings().unsubscribe_secret_name).encode()
    return verify_token(key, token, SystemClock().now())


def _locale(user_id: str) -> str:
    settings = get_settings()
    profile = ActivityStore(settings.activity_table).get(user_id)
    return resolve_locale(profile.locale if profile else None, load_program(settings.program_path).default_locale)


def _rejected(exc: InvalidToken) -> Response[str]:
    logger.warning("unsubscribe token rejected", extra={"reason": str(exc)})
    metrics.add_metric(name="UnsubscribeRejected", unit=MetricUnit.Count, value=1)
    return _html(400, unsubscribe_invalid_page(load_program(get_settings().program_path).default_locale))


@app.get("/unsubscribe")
@tracer.capture_method
def confirm() -> Response[str]:
    try:
        claim = _claim()
    except InvalidToken as exc:
        return _rejected(exc)
    token = app.current_event.get_query_string_value("token", "") or ""
    brand = load_program(get_settings().program_path).brand
    return _html(200, unsubscribe_confirm_page(_locale(claim.user_id), brand, token))


@app.post("/unsubscribe")
@tracer.capture_method
def one_click() -> Response[str]:
    try:
        claim = _claim()
    except InvalidToken as exc:
        return _rejected(exc)
    settings = get_settings()
    program = load_program(settings.program_path)
    profile = unsubscribe(
        claim,
        ActivityStore(settings.activity_table),
        SuppressionStore(settings.suppression_table),
        MessagingStore(settings.messaging_table),
        SystemClock().now(),
    )
    metrics.add_metric(name="Unsubscribed", unit=MetricUnit.Count, value=1)
    logger.info("unsubscribed", extra={"user_id": claim.user_id, "channel": claim.channel})
    locale = resolve_locale(profile.locale if profile else None, program.default_locale)
    return _html(200, unsubscribed_page(locale, program.brand))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
