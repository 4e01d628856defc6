"""CouponIssued on the offers bus (through the send handler on moto): each issued coupon is announced
once, with the code as its stable id, batched per job, and never again when the send is retried."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, dormant_profile, sent_emails, use_program
from winback.adapters import clients
from winback_dev.lambda_events import sqs_event, sqs_record

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})


def _observe(stack: Stack) -> str:
    """A rule on the stack's offers bus sending CouponIssued events to a queue the test reads."""
    bus = stack.resources.physical["OffersBus"]
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="coupons-issued")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    pattern = {"source": ["winback"], "detail-type": ["CouponIssued"]}
    events.put_rule(Name="coupons-to-queue", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="coupons-to-queue", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def _received(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            found.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def _send(stack: Stack, *user_ids: str, message_id: str = "m-1") -> dict[str, Any]:
    job = {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [
            {"user_id": u, "episode": LAST_ORDER.isoformat(), "arm": "a", "segment": "all"} for u in user_ids
        ],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send", message_id)
    reply: dict[str, Any] = stack.invoke("send", sqs_event([record]))
    return reply


def _codes_in_emails() -> set[str]:
    import re

    return {m for e in sent_emails() for m in re.findall(r"WB(?:-[0-9A-Z]{4}){4}", e.body)}


def test_each_issued_coupon_is_announced_once_with_its_code_in_one_batched_put(stack: Stack) -> None:
    """Guards: one CouponIssued per coupon (the code is its id, the detail is what a commerce platform
    needs to create the same code); the job's coupons go out in one PutEvents; a redelivered job
    (the ledger stops the second message) announces nothing more."""
    url = _observe(stack)
    for user in ("u1", "u2", "u3"):
        dormant_profile(user, LAST_ORDER)
    with count_calls() as calls:
        assert _send(stack, "u1", "u2", "u3") == {"batchItemFailures": []}
    assert calls["PutEvents"] == 1
    events = _received(url)
    assert sorted(e["detail"]["user_id"] for e in events) == ["u1", "u2", "u3"]
    assert {e["detail"]["code"] for e in events} == _codes_in_emails() and len(_codes_in_emails()) == 3
    detail = events[0]["detail"]
    assert detail["id"] == detail["code"]
    assert (detail["campaign_id"], detail["step"], detail["currency"]) == ("dormant-offer", 0, "USD")
    assert detail["value"] == "10.00" and detail["value_minor"] == 1000
    assert datetime.fromisoformat(detail["expires_at"]) > NOW + timedelta(days=13)

    _send(stack, "u1", "u2", "u3", message_id="m-2")  # SQS redelivery
    assert _received(url) == []


def test_a_send_retried_after_throttling_does_not_announce_its_coupon_again(stack: Stack) -> None:
    """Guard: the pointer's `announced` mark. The first attempt issues and announces the coupon, then
    the provider throttles and the claim is released (a paced deferral); the retry reuses the coupon and finds it
    announced (without the mark it would publish a second CouponIssued)."""
    url = _observe(stack)
    dormant_profile("u1", LAST_ORDER)
    left = [1]

    def throttle_once(**_: Any) -> Any:
        if left[0] <= 0:
            return None
        left[0] -= 1
        body = {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}
        return AWSResponse("https://email.us-east-1.amazonaws.com", 429, HTTPHeaders(), None), body

    clients.sesv2().meta.events.register("before-call.sesv2.SendEmail", throttle_once)
    # Throttled: the claim is released and the message waits a paced deferral (kind `rate`); the
    # job's receive ends well, and the deferral's release sends the same job again.
    assert _send(stack, "u1") == {"batchItemFailures": []}
    assert sent_emails() == []
    first = _received(url)
    assert len(first) == 1

    assert _send(stack, "u1") == {"batchItemFailures": []}
    assert len(sent_emails()) == 1
    assert _received(url) == []
    assert _codes_in_emails() == {first[0]["detail"]["code"]}
