"""template.yaml's flow control, read from the translated template (what CloudFormation deploys):
the SendQueue mapping's maximum concurrency (which the sender's pacing divides by), reserved
concurrency for the webhook and unsubscribe when asked, and throttles on the public routes."""

from __future__ import annotations

from functools import cache
from typing import Any

from winback_dev.template import translate_template

PUBLIC_ROUTES = (
    "POST /events",
    "GET /unsubscribe",
    "POST /unsubscribe",
    "GET /reasons",
    "POST /reasons",
    "GET /preferences",
    "POST /preferences",
)


@cache
def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = translate_template()["Resources"]
    return resources


def _of_type(kind: str) -> dict[str, Any]:
    return {name: r["Properties"] for name, r in _resources().items() if r["Type"] == kind}


def test_send_queue_mapping_has_a_maximum_concurrency_the_sender_divides_by() -> None:
    """Guard: ScalingConfig on SendFunction's SQS event; without it the send function scales with the
    queue's depth and every instance above the SES rate is throttled towards the DLQ. The same
    parameter reaches the function as SEND_MAX_CONCURRENCY, so each instance paces to its share."""
    mappings = _of_type("AWS::Lambda::EventSourceMapping")
    send = next(p for p in mappings.values() if p["EventSourceArn"] == {"Fn::GetAtt": ["SendQueue", "Arn"]})
    assert send["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "SendMaxConcurrency"}}
    env = _resources()["SendFunction"]["Properties"]["Environment"]["Variables"]
    assert env["SEND_MAX_CONCURRENCY"] == {"Ref": "SendMaxConcurrency"}
    parameter = translate_template()["Parameters"]["SendMaxConcurrency"]
    assert parameter["MinValue"] >= 2  # Lambda's floor for an SQS mapping's MaximumConcurrency


def test_sender_may_read_its_send_quota() -> None:
    statements = [
        s
        for policy in _resources()["SendFunctionRole"]["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
    ]
    assert any(s["Action"] == "ses:GetAccount" for s in statements)


def test_webhook_and_unsubscribe_reserve_concurrency_only_when_asked() -> None:
    """Guard: ReservedConcurrentExecutions under a condition (0 = no reservation). A reservation keeps
    a big send run from taking the concurrency one-click unsubscribe needs, but Lambda refuses one
    that leaves the account fewer than 100 unreserved executions: the default must reserve nothing
    (tests/unit/infrastructure/test_template_deploy.py checks what a deploy creates)."""
    functions = _of_type("AWS::Lambda::Function")
    for function, parameter, condition in (
        ("IngestFunction", "IngestReservedConcurrency", "ReserveIngestConcurrency"),
        ("UnsubscribeFunction", "UnsubscribeReservedConcurrency", "ReserveUnsubscribeConcurrency"),
    ):
        reserved = functions[function]["ReservedConcurrentExecutions"]
        assert reserved == {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}


def test_public_routes_are_throttled_tighter_than_the_default() -> None:
    """Guard: the stage's DefaultRouteSettings and per-route RouteSettings. Each throttled route
    exists in the API's body (a RouteSettings key with no route fails the deploy)."""
    stage = next(iter(_of_type("AWS::ApiGatewayV2::Stage").values()))
    default = stage["DefaultRouteSettings"]
    assert default["ThrottlingRateLimit"] > 0 and default["ThrottlingBurstLimit"] > 0
    routes = {
        f"{method.upper()} {path}"
        for path, methods in _resources()["HttpApi"]["Properties"]["Body"]["paths"].items()
        for method in methods
    }
    assert set(stage["RouteSettings"]) == set(PUBLIC_ROUTES)
    for key in PUBLIC_ROUTES:
        assert key in routes
        route = stage["RouteSettings"][key]
        assert 0 < route["ThrottlingRateLimit"] <= default["ThrottlingRateLimit"]
        assert 0 < route["ThrottlingBurstLimit"] <= default["ThrottlingBurstLimit"]
