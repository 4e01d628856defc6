"""GET /preferences shows the preference page of an email's footer link; POST /preferences applies
one choice (fewer messages, a pause, channels, unsubscribe from all) and, optionally, a reason.

GET never changes anything: mail scanners follow links. POST takes the token from the form body (the
page's forms) or the query string. Neither depends on program.yaml: a program that fails to load
costs the page its brand name and the program's "fewer" cap (the default one is offered).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.domain.links.preference_links import verify_preference_token
from winback.runtime.deps import deps
from winback.runtime.http import html_reply, reject_invalid_tokens
from winback.runtime.observability import logger, metrics, tracer
from winback.runtime.page_defaults import page_defaults
from winback.runtime.request import MAX_QUERY_VALUE, BadRequest, body_text, query_value, raw_body
from winback.services.recipient.preferences import FormNotUnderstood, apply_preferences, parse_form
from winback.web.pages import page_locale
from winback.web.preferences import (
    PageContext,
    preference_form_invalid_page,
    preference_invalid_page,
    preference_page,
    saved_page,
)

app = APIGatewayHttpResolver()
reject_invalid_tokens(
    app,
    "preference token rejected",
    "PreferenceRejected",
    lambda: preference_invalid_page(page_locale(None, page_defaults(deps()).locale)),
)
# The page's largest form: the token, a choice and four channels (a reason form: the token and one).
MAX_FORM_FIELDS = 10


def _form() -> dict[str, list[str]]:
    """The posted form; a body that is not a form (not UTF-8, too large, too many fields) is empty."""
    try:
        return parse_qs(body_text(raw_body(app.current_event.raw_event)), max_num_fields=MAX_FORM_FIELDS)
    except (BadRequest, ValueError):
        return {}


def _token(form: dict[str, list[str]]) -> str:
    token = (form.get("token") or [""])[0]
    if token and len(token) <= MAX_QUERY_VALUE:
        return token
    return query_value(app.current_event.raw_event, "token")


@app.get("/preferences")
@tracer.capture_method
def show() -> Response[str]:
    d = deps()
    now = d.clock.now()
    token = query_value(app.current_event.raw_event, "token")
    claim = verify_preference_token(d.unsubscribe_keys, token, now)
    metrics.add_metric(name="PreferencePageOpened", unit=MetricUnit.Count, value=1)
    pages = page_defaults(d)
    profile = d.activity.get(claim.user_id)
    ctx = PageContext(page_locale(profile, pages.locale), pages.brand, token, pages.fewer, now)
    return html_reply(200, preference_page(ctx, profile))


@app.post("/preferences")
@tracer.capture_method
def choose() -> Response[str]:
    d = deps()
    now = d.clock.now()
    form = _form()
    token = _token(form)
    claim = verify_preference_token(d.unsubscribe_keys, token, now)
    pages = page_defaults(d)
    try:
        request = parse_form(form)
    except FormNotUnderstood as exc:
        logger.warning("preference form not understood", extra={"field": str(exc)})
        metrics.add_metric(name="PreferenceFormRejected", unit=MetricUnit.Count, value=1)
        profile = d.activity.get(claim.user_id)
        ctx = PageContext(page_locale(profile, pages.locale), pages.brand, token, pages.fewer, now)
        return html_reply(400, preference_form_invalid_page(ctx))
    chosen = apply_preferences(claim, request, d, pages.fewer, now)
    metrics.add_metric(name="PreferenceChosen", unit=MetricUnit.Count, value=1)
    logger.info(
        "preference chosen",
        extra={
            "campaign_id": claim.campaign_id,
            "choice": request.choice,
            "reason": request.reason,
            "changed": chosen.changed,
        },
    )
    logger.debug("preference chosen by", extra={"user_id": claim.user_id})
    ctx = PageContext(page_locale(chosen.profile, pages.locale), pages.brand, token, pages.fewer, now)
    return html_reply(200, saved_page(ctx, request.choice, chosen.changed, request.reason, chosen.profile))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
