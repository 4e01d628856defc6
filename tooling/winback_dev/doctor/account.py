"""The account's Lambda concurrency: the quota, and the headroom left for functions without a
reservation (every winback function, unless a reservation parameter is set)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from winback_dev.doctor.report import Check, fail, ok, warn

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# Lambda's default concurrency quota; new accounts are often given 10 or 50 until they grow.
DEFAULT_QUOTA = 1000
# Beside the send workers: the webhook, feedback, unsubscribe and a scan worker at the same moment.
OTHER_FUNCTIONS_AT_ONCE = 4
QUOTA_FIX = (
    "request an increase of 'Concurrent executions' (Service Quotas > AWS Lambda) to 1,000 before a "
    "large import or campaign"
)


def concurrency(client: LambdaClient, send_max_concurrency: int) -> list[Check]:
    limit = client.get_account_settings()["AccountLimit"]
    quota = int(limit.get("ConcurrentExecutions", 0))
    unreserved = int(limit.get("UnreservedConcurrentExecutions", quota))
    needed = send_max_concurrency + OTHER_FUNCTIONS_AT_ONCE
    seen = f"concurrency quota {quota}, {unreserved} unreserved"
    if unreserved < needed:
        return [
            fail(
                "lambda.concurrency",
                f"{seen}: fewer than the {needed} winback runs at once (send {send_max_concurrency} + "
                f"{OTHER_FUNCTIONS_AT_ONCE}); sends and webhooks would be throttled",
                f"lower the reservations of other functions in the account, or {QUOTA_FIX}",
            )
        ]
    if quota < DEFAULT_QUOTA:
        return [warn("lambda.concurrency", f"{seen}: a reduced quota, shared with every function", QUOTA_FIX)]
    return [ok("lambda.concurrency", seen)]
