"""Data subject rights, IAM-authorized (SigV4) like the report routes; the handler refuses a request
that did not pass through IAM authorization too.

- DELETE /users/{user_id}: the erasure becomes a state at once (tombstone, erased send state, the
  profile's stand-in), then 202 with the request id; ErasureStateMachine does the removal.
- GET /erasures/{request_id}: where that erasure is (never the user id: its hash only).
- GET /users/{user_id}/export: every item stored about the user, as one JSON document.

ErasureStateMachine invokes this function too, with `{"erasure": {"request_id", "pass", "stage",
"after"}}`: one pass's work from where it stopped, answered with where it stopped next.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter, ValidationError
from pydantic import constr as _constr

from winback.models.erasure import ErasureTask
from winback.models.ids import USER_ID_PATTERN
from winback.runtime.deps import deps
from winback.runtime.http import json_reply, require_iam
from winback.runtime.observability import logger, metrics, tracer
from winback.services.privacy.erasure import begin_erasure, erasure_pass, erasure_status
from winback.services.privacy.export import export_user

app = APIGatewayHttpResolver()
app.use(middlewares=[require_iam])
_USER_ID = TypeAdapter(_constr(pattern=USER_ID_PATTERN))
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def _user(user_id: str) -> str:
    try:
        return str(_USER_ID.validate_python(unquote(user_id)))
    except ValidationError as exc:
        raise BadRequestError("invalid user_id") from exc


@app.delete("/users/<user_id>")
@tracer.capture_method(capture_response=False)
def erase(user_id: str) -> Response[str]:
    d = deps()
    request = begin_erasure(_user(user_id), d.user_records, d.clock.now())
    d.erasure_runs.start(request.request_id)
    metrics.add_metric(name="ErasureAccepted", unit=MetricUnit.Count, value=1)
    logger.info("erasure accepted", extra={"request_id": request.request_id})
    body = {**request.model_dump(exclude_none=True), "status_url": f"/erasures/{request.request_id}"}
    return json_reply(202, body)


@app.get("/erasures/<request_id>")
@tracer.capture_method(capture_response=False)
def erasure(request_id: str) -> Response[str]:
    if not _REQUEST_ID.match(request_id):
        raise BadRequestError("invalid request_id")
    found = erasure_status(request_id, deps().user_records)
    if found is None:
        return json_reply(404, {"message": "no such erasure request"})
    return json_reply(200, found)


@app.get("/users/<user_id>/export")
@tracer.capture_method(capture_response=False)
def export(user_id: str) -> Response[str]:
    d = deps()
    document = export_user(_user(user_id), d.user_records, d.suppression)
    metrics.add_metric(name="UserExported", unit=MetricUnit.Count, value=1)
    return json_reply(200, document)


def _pass(raw: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One pass of ErasureStateMachine, from where the last invocation stopped; where it stopped."""
    d = deps()
    task = ErasureTask.model_validate(raw)
    began = task.stage
    task = erasure_pass(task, d.user_records, d.suppression, d.clock.now(), context.get_remaining_time_in_millis)
    if task.stage == "done" and task.pass_ == 2:
        metrics.add_metric(name="ErasureCompleted", unit=MetricUnit.Count, value=1)
    logger.info("erasure pass worked", extra={"request_id": task.request_id, "from": began, "to": task.stage})
    return task.model_dump(by_alias=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "erasure" in event:
        return _pass(event["erasure"], context)
    return app.resolve(event, context)
