"""GET /reasons shows the answer a reason link stands for; POST /reasons records it.

GET never changes anything: mail scanners follow links. POST takes the token from the form body
(the confirmation page's button) or the query string. Neither depends on program.yaml.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.domain.links.reason_links import verify_reason_token
from winback.runtime.deps import deps
from winback.runtime.http import html_reply, reject_invalid_tokens
from winback.runtime.observability import logger, metrics, tracer
from winback.runtime.page_defaults import page_defaults
from winback.runtime.request import MAX_QUERY_VALUE, BadRequest, body_text, query_value, raw_body
from winback.services.recipient.reasons import answer_reason
from winback.web.pages import page_locale, reason_confirm_page, reason_invalid_page, reason_thanks_page

app = APIGatewayHttpResolver()
reject_invalid_tokens(
    app,
    "reason token rejected",
    "ReasonRejected",
    lambda: reason_invalid_page(page_locale(None, page_defaults(deps()).locale)),
)


def _query_token() -> str:
    return query_value(app.current_event.raw_event, "token")


def _form_token() -> str:
    """The form's token; a body that is not a form (not UTF-8, too large, not base64) has none."""
    try:
        form = parse_qs(body_text(raw_body(app.current_event.raw_event)), max_num_fields=20)
    except (BadRequest, ValueError):
        return ""
    token = (form.get("token") or [""])[0]
    return token if len(token) <= MAX_QUERY_VALUE else ""


@app.get("/reasons")
@tracer.capture_method
def confirm() -> Response[str]:
    token = _query_token()
    d = deps()
    claim = verify_reason_token(d.unsubscribe_keys, token, d.clock.now())
    metrics.add_metric(name="ReasonLinkOpened", unit=MetricUnit.Count, value=1)
    pages = page_defaults(d)
    locale = page_locale(d.activity.get(claim.user_id), pages.locale)
    return html_reply(200, reason_confirm_page(locale, pages.brand, claim.reason, token))


@app.post("/reasons")
@tracer.capture_method
def answer() -> Response[str]:
    d = deps()
    claim = verify_reason_token(d.unsubscribe_keys, _form_token() or _query_token(), d.clock.now())
    answered = answer_reason(claim, d.activity, d.reasons, d.clock.now())
    metrics.add_metric(name="ReasonAnswered", unit=MetricUnit.Count, value=1)
    logger.info(
        "reason answered",
        extra={"campaign_id": claim.campaign_id, "answer": claim.reason, "outcome": answered.recorded.value},
    )
    logger.debug("reason answered by", extra={"user_id": claim.user_id})
    pages = page_defaults(d)
    return html_reply(200, reason_thanks_page(page_locale(answered.profile, pages.locale), pages.brand, claim.reason))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
