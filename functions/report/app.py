"""GET /campaigns/{campaign_id}/report (IAM-authorized): the campaign's experiment report as JSON.
POST /campaigns/{campaign_id}/resume: resume a campaign that paused itself.
GET /coupons/{code}?user_id=: the shop's checkout asks whether a code is valid for the user now."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.domain.journey.coupon_check import check_coupon
from winback.models.ids import USER_ID_PATTERN
from winback.runtime.deps import deps
from winback.runtime.http import json_reply, require_iam
from winback.runtime.observability import logger, metrics, tracer
from winback.services.report import campaign_report, resume_campaign

NO_SUCH_CAMPAIGN = {"message": "no such campaign"}

app = APIGatewayHttpResolver()


app.use(middlewares=[require_iam])


@app.get("/campaigns/<campaign_id>/report")
@tracer.capture_method(capture_response=False)
def report(campaign_id: str) -> Response[str]:
    d = deps()
    try:
        result = campaign_report(campaign_id, d, d.clock.now())
    except KeyError:
        return json_reply(404, NO_SUCH_CAMPAIGN)
    logger.info("report served", extra={"campaign_id": campaign_id})
    return json_reply(200, result)


@app.post("/campaigns/<campaign_id>/resume")
@tracer.capture_method
def resume(campaign_id: str) -> Response[str]:
    d = deps()
    try:
        was_paused = resume_campaign(campaign_id, d.program, d.messaging)
    except KeyError:
        return json_reply(404, NO_SUCH_CAMPAIGN)
    logger.info("campaign resumed", extra={"campaign_id": campaign_id, "was_paused": was_paused})
    return json_reply(200, {"campaign_id": campaign_id, "resumed": was_paused})


@app.get("/coupons/<code>")
@tracer.capture_method(capture_response=False)
def coupon(code: str) -> Response[str]:
    user_id = app.current_event.get_query_string_value("user_id") or ""
    if not re.match(USER_ID_PATTERN, user_id):
        return json_reply(400, {"message": "user_id: the query parameter is required (the shopper's user id)"})
    d = deps()
    canonical, item = d.coupons.look_up(code)
    result = check_coupon(canonical, item, user_id, d.clock.now())
    logger.info("coupon checked", extra={"status": result.status})
    return json_reply(200, result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
