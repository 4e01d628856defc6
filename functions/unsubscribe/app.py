"""GET /unsubscribe shows a confirmation page; POST /unsubscribe (RFC 8058 one-click) unsubscribes.

GET never changes anything: mail scanners follow links, and RFC 8058 has receivers POST instead.
Neither depends on program.yaml: a program that fails to load only costs the page its brand name.
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
from winback.runtime.page_defaults import page_defaults
from winback.runtime.request import query_value
from winback.services.recipient.unsubscribe import unsubscribe
from winback.web.pages import page_locale, unsubscribe_confirm_page, unsubscribe_invalid_page, unsubscribed_page

app = APIGatewayHttpResolver()
reject_invalid_tokens(
    app,
    "unsubscribe token rejected",
    "UnsubscribeRejected",
    lambda: unsubscribe_invalid_page(page_locale(None, page_defaults(deps()).locale)),
)


def _token() -> str:
    return query_value(app.current_event.raw_event, "token")


@app.get("/unsubscribe")
@tracer.capture_method
def confirm() -> Response[str]:
    token = _token()
    d = deps()
    claim = verify_token(d.unsubscribe_keys, token, d.clock.now())
    pages = page_defaults(d)
    locale = page_locale(d.activity.get(claim.user_id), pages.locale)
    return html_reply(200, unsubscribe_confirm_page(locale, pages.brand, token))


@app.post("/unsubscribe")
@tracer.capture_method
def one_click() -> Response[str]:
    d = deps()
    claim = verify_token(d.unsubscribe_keys, _token(), d.clock.now())
    profile = unsubscribe(claim, d.activity, d.suppression, d.messaging, d.clock.now())
    metrics.add_metric(name="Unsubscribed", unit=MetricUnit.Count, value=1)
    logger.info("unsubscribed", extra={"channel": claim.channel})
    logger.debug("unsubscribed user", extra={"user_id": claim.user_id})
    pages = page_defaults(d)
    return html_reply(200, unsubscribed_page(page_locale(profile, pages.locale), pages.brand))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
