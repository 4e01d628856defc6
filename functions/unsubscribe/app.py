"""GET /unsubscribe shows a confirmation page; POST /unsubscribe (RFC 8058 one-click) unsubscribes.

GET never changes anything: mail scanners follow links, and RFC 8058 has receivers POST instead.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.domain.links.tokens import verify_token
from winback.runtime.deps import deps
from winback.runtime.http import html_reply, reject_invalid_tokens
from winback.runtime.observability import logger, metrics, tracer
from winback.services.unsubscribe import unsubscribe
from winback.web.pages import page_locale, unsubscribe_confirm_page, unsubscribe_invalid_page, unsubscribed_page

app = APIGatewayHttpResolver()
reject_invalid_tokens(
    app,
    "unsubscribe token rejected",
    "UnsubscribeRejected",
    lambda: unsubscribe_invalid_page(deps().program.default_locale),
)


def _token() -> str:
    return app.current_event.get_query_string_value("token", "") or ""


@app.get("/unsubscribe")
@tracer.capture_method
def confirm() -> Response[str]:
    token = _token()
    d = deps()
    claim = verify_token(d.unsubscribe_key, token, d.clock.now())
    locale = page_locale(d.activity.get(claim.user_id), d.program.default_locale)
    return html_reply(200, unsubscribe_confirm_page(locale, d.program.brand, token))


@app.post("/unsubscribe")
@tracer.capture_method
def one_click() -> Response[str]:
    d = deps()
    claim = verify_token(d.unsubscribe_key, _token(), d.clock.now())
    profile = unsubscribe(claim, d.activity, d.suppression, d.messaging, d.clock.now())
    metrics.add_metric(name="Unsubscribed", unit=MetricUnit.Count, value=1)
    logger.info("unsubscribed", extra={"user_id": claim.user_id, "channel": claim.channel})
    return html_reply(200, unsubscribed_page(page_locale(profile, d.program.default_locale), d.program.brand))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
