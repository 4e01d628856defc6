"""DELETE /users/{user_id}: erase everything stored about the user. GET /users/{user_id}/export:
every item stored about the user, as one JSON document. Both IAM-authorized (SigV4), like the
report routes; the handler refuses a request that did not pass through IAM authorization too."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter, ValidationError
from pydantic import constr as _constr

from winback.models.ids import USER_ID_PATTERN
from winback.runtime.deps import deps
from winback.runtime.http import json_reply, require_iam
from winback.runtime.observability import logger, metrics, tracer
from winback.services.privacy.erasure import erase_user
from winback.services.privacy.export import export_user

app = APIGatewayHttpResolver()
app.use(middlewares=[require_iam])
_USER_ID = TypeAdapter(_constr(pattern=USER_ID_PATTERN))


def _user(user_id: str) -> str:
    try:
        return str(_USER_ID.validate_python(unquote(user_id)))
    except ValidationError as exc:
        raise BadRequestError("invalid user_id") from exc


@app.delete("/users/<user_id>")
@tracer.capture_method(capture_response=False)
def erase(user_id: str) -> Response[str]:
    d = deps()
    removed = erase_user(_user(user_id), d.user_records, d.suppression, d.clock.now())
    metrics.add_metric(name="UserErased", unit=MetricUnit.Count, value=1)
    logger.info("user erased", extra={"removed": removed})
    return json_reply(200, {"erased": True, "removed": removed})


@app.get("/users/<user_id>/export")
@tracer.capture_method(capture_response=False)
def export(user_id: str) -> Response[str]:
    d = deps()
    document = export_user(_user(user_id), d.user_records, d.suppression)
    metrics.add_metric(name="UserExported", unit=MetricUnit.Count, value=1)
    return json_reply(200, document)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
