"""The environment the handlers run in: fake AWS credentials, function variables from the stack
provisioned on moto (from template.yaml), and the Lambda-side plumbing the harness plays.

``moto_session`` starts moto in-process (``mock_aws``) before any client exists, provisions the
stack and forgets every per-container cache (``winback.runtime.deps.reset``: the wiring, settings, boto3
clients, secrets), so each benchmark starts like a fresh deployment with cold containers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
SENDER = "winback@shop.example.com"
OUT_DIR = Path("bench-out")

BASE_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "PUBLIC_BASE_URL": "http://localhost:3000",
    "SENDER_EMAIL": SENDER,
    "POWERTOOLS_SERVICE_NAME": "winback",
    "POWERTOOLS_METRICS_NAMESPACE": "Winback",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def apply_base_env() -> None:
    os.environ.update(BASE_ENV)


@dataclass(frozen=True)
class Session:
    """A provisioned stack: physical ids and the secrets the upstream/unsubscribe sides share."""

    physical: dict[str, str]
    webhook_secret: str

    def url(self, logical_id: str) -> str:
        return self.physical[logical_id]


def forget_container_state() -> None:
    """Drop what a Lambda container keeps between invocations, as a cold start would."""
    from winback.runtime.deps import reset

    reset()


def quiet_lambda_logs(path: Path) -> None:
    """Send the handlers' structured logs to a file instead of the benchmark's table."""
    from winback.runtime.observability import logger

    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")
    for handler in logger.handlers:
        if hasattr(handler, "setStream"):
            handler.setStream(stream)


def provision_session() -> Session:
    """Provision template.yaml's stack on whatever endpoint boto3 targets and configure the functions."""
    from datetime import UTC, datetime

    import boto3

    from winback.adapters.sending_switch import SendingSwitch
    from winback.services.sending_switch import turn_sending_on
    from winback_dev.stack import provision

    resources = provision(region=REGION)
    os.environ.update(resources.env())
    forget_container_state()
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    # A new stack starts with sending off: turned on as `winback enable-sending` does.
    turn_sending_on(SendingSwitch(resources.physical["MessagingTable"]), datetime.now(UTC), "bench")
    secret = boto3.client("secretsmanager", region_name=REGION).get_secret_value(
        SecretId=resources.physical["WebhookSecret"]
    )["SecretString"]
    return Session(physical=dict(resources.physical), webhook_secret=secret)


@contextmanager
def moto_session() -> Iterator[Session]:
    """moto in-process with a freshly provisioned stack; everything is forgotten on exit."""
    from moto import mock_aws

    apply_base_env()
    os.environ.pop("AWS_ENDPOINT_URL", None)
    forget_container_state()
    mock = mock_aws()
    mock.start()
    try:
        yield provision_session()
    finally:
        forget_container_state()
        mock.stop()


def invoke(function: str, event: dict[str, Any]) -> Any:
    """Call a handler the way Lambda does (loaded by file, with a context)."""
    from winback_dev.handlers import handler
    from winback_dev.lambda_events import FakeContext

    return handler(function)(event, FakeContext(function_name=function))


@dataclass
class Drained:
    invocations: int = 0
    records: int = 0
    failed: int = 0


def drain(queue_url: str, function: str, tally: Any = None) -> Drained:
    """Play SQS's event-source mapping: receive 10, invoke, delete the successes; repeat until empty.

    Only the handler invocations are counted (inside ``calls.scope(tally)``): the poller's own
    ReceiveMessage/DeleteMessageBatch are Lambda's, not ours.
    """
    import boto3

    from bench import calls
    from winback_dev.lambda_events import sqs_event, sqs_record

    sqs = boto3.client("sqs", region_name=REGION)
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stats = Drained()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return stats
        records = [sqs_record(m["Body"], arn, m["MessageId"]) for m in messages]
        with calls.scope(tally):
            reply = invoke(function, sqs_event(records))
        failed = {f["itemIdentifier"] for f in (reply or {}).get("batchItemFailures", [])}
        stats.invocations += 1
        stats.records += len(records)
        stats.failed += len(failed)
        if failed:
            raise RuntimeError(f"{function}: {len(failed)} record(s) failed; see {OUT_DIR / 'lambda.log'}")
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
