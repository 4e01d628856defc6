"""Small helpers shared by the integration tests."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.client
from moto.backends import get_backend

from tests.fakes.profiles import customer_fields
from winback.adapters.activity_store import ActivityStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.models.profile import Profile
from winback_dev.lambda_events import sqs_event, sqs_record

if TYPE_CHECKING:
    from tests.integration.conftest import Stack

EVENTS = Path(__file__).resolve().parents[2] / "events"
ACCOUNT = "123456789012"
REGION = "us-east-1"
SEND_QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:send"


def sample_event(name: str) -> dict[str, Any]:
    """A copy of a sample event from events/ (the same files `sam local invoke -e` takes)."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def put_profile(**fields: Any) -> Profile:
    """Store a profile directly (for tests of what happens after ingest)."""
    profile = Profile.model_validate({"version": 0, **fields})
    stored = profile.model_copy(update={"version": 1})
    assert ActivityStore(get_settings().activity_table).put(stored, expected_version=0)
    return stored


def dormant_profile(user_id: str, last_order: datetime, **fields: Any) -> Profile:
    return put_profile(**{**customer_fields(user_id, last_order), **fields})


def get_profile(user_id: str) -> Profile | None:
    return ActivityStore(get_settings().activity_table).get(user_id)


def invoke_send(stack: Stack, *jobs: Mapping[str, Any], message_ids: Sequence[str | None] = ()) -> dict[str, Any]:
    """The send function handed `jobs` as one SQS batch (each record's message id from `message_ids`
    when given); its reply, the batch item failures."""
    ids = list(message_ids) or [None] * len(jobs)
    records = [
        sqs_record(json.dumps(job), SEND_QUEUE_ARN, message_id) for job, message_id in zip(jobs, ids, strict=True)
    ]
    reply: dict[str, Any] = stack.invoke("send", sqs_event(records))
    return reply


def invoke_scan(stack: Stack, run_id: str, as_of: datetime) -> None:
    """The scan function handed one job for the whole table (one segment); it must not fail."""
    job = {"run_id": run_id, "as_of": as_of.isoformat(), "segment": 0, "total_segments": 1}
    event = sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:scan")])
    assert stack.invoke("scan", event) == {"batchItemFailures": []}


def step_counters(campaign_id: str = "dormant-offer", step: int = 0) -> dict[str, int]:
    """The counters of one campaign step, summed over arms and segments."""
    return MessagingStore(get_settings().messaging_table).counters(campaign_id).get(step, {})


def sent_emails() -> list[Any]:
    return list(get_backend("ses")[ACCOUNT][REGION].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return list(get_backend("sns")[ACCOUNT][REGION].sms_messages.values())


def queue_bodies(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    bodies: list[str] = []
    while True:
        reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        messages = reply.get("Messages", [])
        if not messages:
            return bodies
        bodies += [m["Body"] for m in messages]


def suppression_item(address: str) -> dict[str, Any] | None:
    """The suppression entry of a plain `channel#address`, stored hashed (or, from before, plain)."""
    from winback.domain.journey.addresses import hashed_key

    for key in (hashed_key(address), address):
        reply = boto3.client("dynamodb").get_item(
            TableName=get_settings().suppression_table, Key={"address": {"S": key}}
        )
        item: dict[str, Any] | None = reply.get("Item")
        if item is not None:
            return item
    return None


@contextmanager
def count_calls() -> Iterator[Counter[str]]:
    """Count AWS API calls by operation name while the block runs."""
    calls: Counter[str] = Counter()
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 - untyped private hook

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        calls[operation_name] += 1
        return original(self, operation_name, api_params)

    setattr(botocore.client.BaseClient, "_make_api_call", counting)  # noqa: B010
    try:
        yield calls
    finally:
        setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010


def use_program(tmp_path: Path, monkeypatch: Any, **sections: Any) -> None:
    """Point the functions at a copy of the shipped program with some top-level sections replaced."""
    import yaml

    from winback.config.loader import DEFAULT_PROGRAM_PATH
    from winback.runtime.deps import reset

    data = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    data.update(sections)
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("WINBACK_PROGRAM_PATH", str(path))
    reset()


FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "Winback",
    "POWERTOOLS_SERVICE_NAME": "winback",
}


def fake_aws_env(monkeypatch: Any, **extra: str) -> None:
    """Credentials and region for moto, Powertools settings, and `extra` variables; never a real endpoint."""
    for var, value in {**FAKE_AWS_ENV, **extra}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def create_keyed_table(name: str, *, due_index: bool = False) -> None:
    """A table keyed by strings `pk`/`sk`, as MessagingTable and IncentiveTable are in template.yaml;
    with `due_index`, DeferralTable's sparse `due` index on (`due_shard`, `due_at`) too."""
    keys = ("pk", "sk", "due_shard", "due_at") if due_index else ("pk", "sk")
    index: dict[str, Any] = {
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "due",
                "KeySchema": [
                    {"AttributeName": "due_shard", "KeyType": "HASH"},
                    {"AttributeName": "due_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    }
    boto3.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in keys],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        **(index if due_index else {}),
    )


def create_user_table(name: str) -> None:
    """A table keyed by `user_id`, as ActivityTable is in template.yaml."""
    boto3.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
    )
