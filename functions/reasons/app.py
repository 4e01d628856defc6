"""GET /reasons shows the answer a reason link stands for; POST /reasons records it.

GET never changes anything: mail scanners follow links. POST takes the token from the form body
(the confirmation page's button) or the query string.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.activity_store import ActivityStore
from winback.adapters.reason_store import ReasonStore
from winback.adapters.secrets import get_secret_text
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.content.locales import resolve_locale
from winback.domain.clock import SystemClock
from winback.domain.journey.reasons import route
from winback.domain.links.reason_links import ReasonClaim, verify_reason_token
from winback.domain.links.tokens import InvalidToken
from winback.models.profile import Profile
from winback.runtime.observability import logger, metrics, tracer
from winback.services.reasons import DEFAULT_SEGMENT, record_answer, withdraw_consent
from winback.web.pages import reason_confirm_page, reason_invalid_page, reason_thanks_page

app = APIGatewayHttpResolver()


def _html(status: int, body: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.TEXT_HTML + "; charset=utf-8",
        body=body,
        headers={"Cache-Control": "no-store"},
    )


def _query_token() -> str:
    return app.current_event.get_query_string_value("token", "") or ""


def _form_token() -> str:
    form = parse_qs(app.current_event.decoded_body or "")
    return (form.get("token") or [""])[0]


def _claim(token: str) -> ReasonClaim:
    key = get_secret_text(get_settings().unsubscribe_secret_name).encode()
    return verify_reason_token(key, token, SystemClock().now())


def _locale(profile: Profile | None) -> str:
    return resolve_locale(profile.locale if profile else None, load_program(get_settings().program_path).default_locale)


def _segment(profile: Profile | None, campaign_id: str) -> str:
    """The segment the user was assigned under in this campaign (the report's segments)."""
    a = profile.assignment if profile is not None else None
    return a.segment if a is not None and a.campaign_id == campaign_id else DEFAULT_SEGMENT


def _rejected(exc: InvalidToken) -> Response[str]:
    logger.warning("reason token rejected", extra={"reason": str(exc)})
    metrics.add_metric(name="ReasonRejected", unit=MetricUnit.Count, value=1)
    return _html(400, reason_invalid_page(load_program(get_settings().program_path).default_locale))


@app.get("/reasons")
@tracer.capture_method
def confirm() -> Response[str]:
    token = _query_token()
    try:
        claim = _claim(token)
    except InvalidToken as exc:
        return _rejected(exc)
    metrics.add_metric(name="ReasonLinkOpened", unit=MetricUnit.Count, value=1)
    profile = ActivityStore(get_settings().activity_table).get(claim.user_id)
    brand = load_program(get_settings().program_path).brand
    return _html(200, reason_confirm_page(_locale(profile), brand, claim.reason, token))


@app.post("/reasons")
@tracer.capture_method
def answer() -> Response[str]:
    try:
        claim = _claim(_form_token() or _query_token())
    except InvalidToken as exc:
        return _rejected(exc)
    settings = get_settings()
    now = SystemClock().now()
    activity = ActivityStore(settings.activity_table)
    profile = activity.get(claim.user_id)
    outcome = record_answer(
        ReasonStore(settings.messaging_table),
        claim.user_id,
        claim.campaign_id,
        claim.episode,
        claim.reason,
        _segment(profile, claim.campaign_id),
        now=now,
    )
    if route(claim.reason).withdraw_consent:
        profile = withdraw_consent(activity, claim.user_id, now) or profile
    metrics.add_metric(name="ReasonAnswered", unit=MetricUnit.Count, value=1)
    logger.info(
        "reason answered",
        extra={
            "user_id": claim.user_id,
            "campaign_id": claim.campaign_id,
            "answer": claim.reason,
            "outcome": outcome.value,
        },
    )
    return _html(200, reason_thanks_page(_locale(profile), load_program(settings.program_path).brand, claim.reason))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
