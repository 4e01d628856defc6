"""The public functions' IAM policies name only the item actions they use, and every action they use.

The real handlers run typical requests on moto while every DynamoDB call is recorded as (action,
table); each must be allowed by that function's statements in template.yaml. Guard: the per-table
statements that replaced DynamoDBCrudPolicy (a missing action fails here; so does a Crud policy).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.client
from cfnlint.decode.cfn_yaml import loads

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile
from winback.adapters.coupon_store import CouponStore
from winback.domain.journey.reasons import Answer
from winback.domain.links.preference_links import sign_preference_token
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token
from winback_dev.lambda_events import http_event

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
NOW = datetime.now(UTC)


@contextmanager
def dynamodb_actions() -> Iterator[set[tuple[str, str]]]:
    seen: set[tuple[str, str]] = set()
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009

    def recording(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            if operation == "TransactWriteItems":
                for item in params["TransactItems"]:
                    ((kind, body),) = item.items()
                    seen.add((TRANSACT[kind], body["TableName"]))
            elif operation in ("BatchGetItem", "BatchWriteItem"):
                seen.update((operation, table) for table in params["RequestItems"])
            else:
                seen.add((operation, params["TableName"]))
        return original(self, operation, params)

    setattr(botocore.client.BaseClient, "_make_api_call", recording)  # noqa: B010
    try:
        yield seen
    finally:
        setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010


def allowed(stack: Stack, function: str) -> set[tuple[str, str]]:
    """(action, physical table) pairs the function's policies allow; a SAM Crud policy fails the test."""
    resources = loads(TEMPLATE.read_text(encoding="utf-8"))["Resources"]
    found: set[tuple[str, str]] = set()
    for policy in resources[function]["Properties"]["Policies"]:
        assert "DynamoDBCrudPolicy" not in policy, f"{function} still has a DynamoDBCrudPolicy"
        for statement in policy.get("Statement", []):
            resource = statement.get("Resource")
            if statement["Effect"] != "Allow" or not isinstance(resource, dict) or "Fn::GetAtt" not in resource:
                continue
            table = stack.table(resource["Fn::GetAtt"][0])
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            found |= {(action.removeprefix("dynamodb:"), table) for action in actions}
    return found


def _call(stack: Stack, function: str, method: str, path: str, query: dict[str, str] | None = None) -> None:
    reply = stack.invoke(function, http_event(method, path, None, {}, query))
    assert reply["statusCode"] == 200, reply


def test_ingest_uses_only_what_its_policy_allows(stack: Stack) -> None:
    dormant_profile("u-7", NOW - timedelta(days=100))
    coupon = CouponStore(stack.table("IncentiveTable")).issue(
        "u-7", "dormant-offer", 0, "e1", 500, "USD", NOW + timedelta(days=7), None, NOW
    )
    assert coupon is not None
    order = {"amount": "42.00", "currency": "USD", "coupon_code": coupon.code}
    events: list[dict[str, Any]] = [
        {"user_id": "u-7", "type": "order", "occurred_at": NOW.isoformat(), "properties": order},
        {"user_id": "u-8", "type": "login", "occurred_at": NOW.isoformat()},
    ]
    with dynamodb_actions() as used:
        reply = stack.runner.post_events(events)
        assert reply["statusCode"] == 200, reply
        assert json.loads(reply["body"])["coupons_redeemed"] == 1
    assert used and used <= allowed(stack, "IngestFunction"), used - allowed(stack, "IngestFunction")


def test_unsubscribe_uses_only_what_its_policy_allows(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100))
    token = sign_token(stack.unsubscribe_key, "u1", "email", "dormant-offer", NOW, timedelta(days=30))
    with dynamodb_actions() as used:
        _call(stack, "unsubscribe", "GET", "/unsubscribe", {"token": token})
        _call(stack, "unsubscribe", "POST", "/unsubscribe", {"token": token})
    assert used and used <= allowed(stack, "UnsubscribeFunction"), used - allowed(stack, "UnsubscribeFunction")


def test_reasons_uses_only_what_its_policy_allows(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100))
    with dynamodb_actions() as used:
        answers: tuple[Answer, ...] = ("competitor", "privacy")
        for answer in answers:
            token = sign_reason_token(stack.unsubscribe_key, "u1", "c1", "e1", answer, NOW, timedelta(days=3))
            _call(stack, "reasons", "GET", "/reasons", {"token": token})
            _call(stack, "reasons", "POST", "/reasons", {"token": token})
    assert used and used <= allowed(stack, "ReasonsFunction"), used - allowed(stack, "ReasonsFunction")


def test_preferences_uses_only_what_its_policy_allows(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100), phone="+14155550100", consent={"email": True, "sms": True})
    token = sign_preference_token(stack.unsubscribe_key, "u1", "c1", "email", "e1", "a", NOW, timedelta(days=3))
    with dynamodb_actions() as used:
        _call(stack, "preferences", "GET", "/preferences", {"token": token})
        for form in (
            "choice=fewer",
            "choice=pause_30&reason=privacy",
            "choice=channels&channel=sms",
            "choice=unsubscribe_all",
        ):
            reply = stack.invoke("preferences", http_event("POST", "/preferences", f"token={token}&{form}", {}))
            assert reply["statusCode"] == 200, reply
    assert used and used <= allowed(stack, "PreferencesFunction"), used - allowed(stack, "PreferencesFunction")
