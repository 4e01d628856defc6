"""GET /users/{user_id}/inbox?limit=: the user's in-app inbox, newest first; reading marks it read.

The app's backend calls this route signed with SigV4: API Gateway authorizes it (AWS_IAM). The
handler refuses any request that did not pass through IAM authorization as well, in case the
function is ever reached another way (a route added without auth, a direct invoke).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from winback.domain.journey.addresses import address_key
from winback.runtime.deps import deps
from winback.runtime.http import json_reply, require_iam
from winback.runtime.observability import logger, metrics, tracer
from winback.services.recipient.inbox import InboxRequest, read_inbox

app = APIGatewayHttpResolver()


app.use(middlewares=[require_iam])


def _request(user_id: str) -> InboxRequest:
    data: dict[str, Any] = {"user_id": unquote(user_id)}
    limit = app.current_event.get_query_string_value("limit")
    if limit is not None:
        data["limit"] = limit
    try:
        return InboxRequest.model_validate(data)
    except ValidationError as exc:
        fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        metrics.add_metric(name="InboxBadRequest", unit=MetricUnit.Count, value=1)
        raise BadRequestError(f"invalid {', '.join(fields)}") from exc


@app.get("/users/<user_id>/inbox")
# Responses hold rendered messages (which may greet the user by name): keep them out of traces.
@tracer.capture_method(capture_response=False)
def get_inbox(user_id: str) -> Response[str]:
    request = _request(user_id)
    d = deps()
    page = read_inbox(d.inbox, request.user_id, request.limit, d.clock.now())
    metrics.add_metric(name="InboxRead", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="InboxMessagesMarkedRead", unit=MetricUnit.Count, value=page.unread)
    logger.info("inbox read", extra={"messages": len(page.messages), "unread": page.unread})
    return json_reply(200, page)


@app.post("/users/<user_id>/inbox/opt-out")
@tracer.capture_method(capture_response=False)
def opt_out(user_id: str) -> Response[str]:
    """The user turned in-app messages off in the app: no win-back message reaches their inbox again
    (the send path checks `inbox#<user id>` in SuppressionTable like any address)."""
    request = _request(user_id)
    d = deps()
    first = d.suppression.suppress(address_key("inbox", request.user_id), "unsubscribe", "inbox", d.clock.now())
    metrics.add_metric(name="InboxOptOut", unit=MetricUnit.Count, value=1 if first else 0)
    logger.info("inbox opt-out", extra={"first_time": first})
    return json_reply(200, {"opted_out": True})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
