"""Defence in depth for the IAM-authorized routes (inbox, reports): API Gateway verifies the SigV4
signature (`Auth: AWS_IAM` in template.yaml); a request that reaches a handler without an IAM
identity (a misconfigured route, a direct invoke) is refused here too."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ForbiddenError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit

from winback.runtime.observability import logger, metrics


def require_iam(router: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    iam = router.current_event.request_context.authorizer.iam
    if not (iam.user_arn or iam.caller_id):
        metrics.add_metric(name="Forbidden", unit=MetricUnit.Count, value=1)
        logger.warning("request without IAM authorization refused", extra={"path": router.current_event.path})
        raise ForbiddenError("IAM authorization required")
    return next_middleware(router)
