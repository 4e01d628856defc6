"""GET /campaigns/{campaign_id}/report (IAM-authorized): the campaign's experiment report as JSON.
POST /campaigns/{campaign_id}/resume: resume a campaign that paused itself."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.coupon_store import CouponStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.reason_store import ReasonStore
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.runtime.http import require_iam
from winback.runtime.observability import logger, metrics, tracer
from winback.services.report import campaign_report

app = APIGatewayHttpResolver()


def _json(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


app.use(middlewares=[require_iam])


@app.get("/campaigns/<campaign_id>/report")
@tracer.capture_method(capture_response=False)
def report(campaign_id: str) -> Response[str]:
    settings = get_settings()
    program = load_program(settings.program_path)
    try:
        result = campaign_report(
            campaign_id,
            program,
            MessagingStore(settings.messaging_table),
            CouponStore(settings.incentive_table),
            ReasonStore(settings.messaging_table),
            SystemClock().now(),
        )
    except KeyError:
        return _json(404, '{"message": "no such campaign"}')
    logger.info("report served", extra={"campaign_id": campaign_id})
    return _json(200, result.model_dump_json())


@app.post("/campaigns/<campaign_id>/resume")
@tracer.capture_method
def resume(campaign_id: str) -> Response[str]:
    settings = get_settings()
    try:
        load_program(settings.program_path).campaign(campaign_id)
    except KeyError:
        return _json(404, '{"message": "no such campaign"}')
    was_paused = MessagingStore(settings.messaging_table).resume(campaign_id)
    logger.info("campaign resumed", extra={"campaign_id": campaign_id, "was_paused": was_paused})
    return _json(200, f'{{"campaign_id": "{campaign_id}", "resumed": {str(was_paused).lower()}}}')


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
