"""The local runner: plays API Gateway, EventBridge, SQS event-source mappings and SNS for the
real handlers, against whatever endpoint boto3 targets (a moto server in the demo).

SQS is played as Lambda's poller does: receive up to 10, invoke, delete what succeeded, and let
the failed ones become visible again (redelivery, then the queue's DLQ after maxReceiveCount).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from winback_dev.handlers import handler
from winback_dev.lambda_events import (
    FakeContext,
    http_event,
    iam_identity,
    schedule_event,
    sns_event,
    sqs_event,
    sqs_record,
)
from winback_dev.signing import signed_headers
from winback_dev.stack import StackResources

ROUTES = (
    ("/events/segment", "segment"),
    ("/unsubscribe", "unsubscribe"),
    ("/reasons", "reasons"),
    ("/preferences", "preferences"),
    ("/users/", "inbox"),
    ("/campaigns/", "report"),
    ("/coupons/", "report"),
)


def route_of(path: str) -> str:
    """The function template.yaml routes `path` to."""
    if (path.startswith("/users/") and "/inbox" not in path) or path.startswith("/erasures/"):
        return "privacy"  # DELETE /users/{id}, GET /users/{id}/export, GET /erasures/{request_id}
    for prefix, function in ROUTES:
        if path.startswith(prefix):
            return function
    raise KeyError(f"no route for {path}")


@dataclass
class DrainStats:
    invocations: int = 0
    records: int = 0
    failed_records: int = 0
    redelivered: int = 0

    def add(self, other: DrainStats) -> None:
        self.invocations += other.invocations
        self.records += other.records
        self.failed_records += other.failed_records
        self.redelivered += other.redelivered


@dataclass
class LocalRunner:
    resources: StackResources
    webhook_secret: str
    redeliver_fraction: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    http_status: Counter[int] = field(default_factory=Counter)
    # An accepted erasure (DELETE /users/{id} answering 202) starts ErasureStateMachine on AWS; the
    # runner plays it at once (both passes, the wait skipped). False: the caller plays it
    # (`play_erasure`), to act between the erasure's acceptance and its passes.
    play_erasures: bool = True

    def __post_init__(self) -> None:
        self._sqs = boto3.client("sqs")

    # --- HTTP API -------------------------------------------------------------------------------
    def post_events(self, events: list[dict[str, Any]], webhook_id: str | None = None) -> dict[str, Any]:
        body = json.dumps({"events": events}, separators=(",", ":"))
        event = http_event("POST", "/events", body, signed_headers(self.webhook_secret, body, webhook_id))
        reply: dict[str, Any] = handler("ingest")(event, FakeContext(function_name="ingest"))
        self.http_status[int(reply["statusCode"])] += 1
        return reply

    def post_segment(self, body: str, headers: dict[str, str]) -> dict[str, Any]:
        """POST /events/segment as a Segment or RudderStack webhook destination sends it."""
        event = http_event("POST", "/events/segment", body, {"content-type": "application/json", **headers})
        reply: dict[str, Any] = handler("segment")(event, FakeContext(function_name="segment"))
        self.http_status[int(reply["statusCode"])] += 1
        return reply

    def http(
        self, method: str, path: str, query: dict[str, str], body: str | None = None, iam: bool = False
    ) -> dict[str, Any]:
        """Route a request as the HTTP API does; `iam` plays a SigV4-signed caller (IAM authorizer)."""
        function = route_of(path)
        event = http_event(method, path, body, {"content-type": "application/x-www-form-urlencoded"}, query)
        if iam:
            event["requestContext"]["authorizer"] = {"iam": iam_identity()}
        reply: dict[str, Any] = handler(function)(event, FakeContext(function_name=function))
        self.http_status[int(reply["statusCode"])] += 1
        if method == "DELETE" and function == "privacy" and reply["statusCode"] == 202 and self.play_erasures:
            self.play_erasure(json.loads(reply["body"])["request_id"])
        return reply

    def play_erasure(self, request_id: str, between: Callable[[], None] | None = None) -> list[str]:
        """ErasureStateMachine for an accepted request, played here; `between` runs during its wait."""
        from winback_dev import erasure

        return erasure.play(request_id, between=between)

    # --- schedule, SNS ----------------------------------------------------------------------------
    def fire_schedule(self, at: datetime, function: str = "plan") -> dict[str, Any]:
        reply: dict[str, Any] = handler(function)(schedule_event(at), FakeContext(function_name=function))
        return reply

    def publish_feedback(self, messages: list[str]) -> dict[str, int]:
        topic = self.resources.physical["FeedbackTopic"]
        totals: Counter[str] = Counter()
        for start in range(0, len(messages), 10):
            reply = handler("feedback")(sns_event(messages[start : start + 10], topic), FakeContext())
            totals.update(reply)
        return dict(totals)

    # --- SQS event-source mappings ------------------------------------------------------------------
    def drain(self, queue_logical_id: str, function: str, max_rounds: int = 100_000) -> DrainStats:
        url = self.resources.physical[queue_logical_id]
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stats = DrainStats()
        for _ in range(max_rounds):
            reply = self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
            )
            messages = reply.get("Messages", [])
            if not messages:
                break
            records = [
                sqs_record(
                    m["Body"],
                    arn,
                    m["MessageId"],
                    int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                )
                for m in messages
            ]
            failed = self._invoke_sqs(function, records, stats)
            if self.redeliver_fraction and self.rng.random() < self.redeliver_fraction:
                # SQS delivers at least once: hand the same batch over again before it is deleted.
                stats.redelivered += len(records)
                self._invoke_sqs(function, records, stats)
            done = [m for m in messages if m["MessageId"] not in failed]
            for start in range(0, len(done), 10):
                chunk = done[start : start + 10]
                self._sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
                )
            for m in messages:
                if m["MessageId"] in failed:
                    self._sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
        return stats

    def _invoke_sqs(self, function: str, records: list[dict[str, Any]], stats: DrainStats) -> set[str]:
        stats.invocations += 1
        stats.records += len(records)
        reply = handler(function)(sqs_event(records), FakeContext(function_name=function))
        failed = {f["itemIdentifier"] for f in (reply or {}).get("batchItemFailures", [])}
        stats.failed_records += len(failed)
        return failed

    def queue_depth(self, queue_logical_id: str) -> int:
        url = self.resources.physical[queue_logical_id]
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
