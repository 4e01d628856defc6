"""What every HTTP route shares: HTML and JSON replies that no cache keeps (they carry tokens,
personal messages and live figures), the IAM check, and the answer to a link's invalid token."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ForbiddenError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from winback.domain.links.tokens import InvalidToken
from winback.runtime.observability import logger, metrics
from winback.web.shell import CSP

NO_STORE = {"Cache-Control": "no-store"}
HTML = content_types.TEXT_HTML + "; charset=utf-8"
# Our pages load nothing from anywhere, post only to themselves and are framed by no one (web/shell.py).
PAGE_HEADERS = {
    "Content-Security-Policy": f"{CSP}; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def html_reply(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=HTML, body=body, headers=NO_STORE | PAGE_HEADERS)


def json_reply(status: int, body: Mapping[str, Any] | BaseModel) -> Response[str]:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=text, headers=dict(NO_STORE))


def require_iam(router: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Defence in depth for the IAM-authorized routes (inbox, reports): API Gateway verifies the SigV4
    signature (`Auth: AWS_IAM` in template.yaml); a request that reaches a handler without an IAM
    identity (a misconfigured route, a direct invoke) is refused here too."""
    iam = router.current_event.request_context.authorizer.iam
    if not (iam.user_arn or iam.caller_id):
        metrics.add_metric(name="Forbidden", unit=MetricUnit.Count, value=1)
        # The route's first segment only: a path holds ids (/users/<user id>/export).
        resource = "/" + router.current_event.path.lstrip("/").split("/", 1)[0]
        logger.warning("request without IAM authorization refused", extra={"resource": resource})
        raise ForbiddenError("IAM authorization required")
    return next_middleware(router)


def reject_invalid_tokens(app: APIGatewayHttpResolver, log_message: str, metric: str, page: Callable[[], str]) -> None:
    """A route that raises InvalidToken (a broken, forged or expired link) answers 400 with `page`,
    logged with the reason and counted under `metric`; nothing was changed."""

    @app.exception_handler(InvalidToken)  # type: ignore[untyped-decorator]
    def rejected(exc: InvalidToken) -> Response[str]:
        logger.warning(log_message, extra={"reason": str(exc)})
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        return html_reply(400, page())
