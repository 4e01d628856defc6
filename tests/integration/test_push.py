"""Mobile push through SNS platform endpoints on moto: a push goes out to an enabled endpoint; an
endpoint SNS disabled (EndpointDisabled on Publish) is suppressed, not retried, and the user's next
message goes to another channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_emails, suppression_item, use_program
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback_dev.lambda_events import sqs_event, sqs_record

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No quiet hours; dormant-offer's steps 1 and 2 both prefer push, then email (no inbox: the
    fallback is visible as an email)."""
    import yaml

    from winback.config.loader import DEFAULT_PROGRAM_PATH

    campaigns = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))["campaigns"]
    offer = next(c for c in campaigns if c["id"] == "dormant-offer")
    offer["steps"][1]["channels"] = ["push", "email"]
    offer["steps"][2] = {"template": "nostalgic", "delay_days": 7, "channels": ["push", "email"]}
    use_program(tmp_path, monkeypatch, quiet_hours={}, campaigns=campaigns)


def _endpoint(token: str) -> str:
    sns = boto3.client("sns")
    app = sns.create_platform_application(Name="winback-app", Platform="GCM", Attributes={"PlatformCredential": "k"})
    reply = sns.create_platform_endpoint(PlatformApplicationArn=app["PlatformApplicationArn"], Token=token)
    return str(reply["EndpointArn"])


def _send_step(stack: Stack, user: str, step: int) -> dict[str, Any]:
    job = {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": step,
        "tier": "dormant",
        "recipients": [{"user_id": user, "episode": LAST_ORDER.isoformat(), "arm": "a", "segment": "all"}],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send", None)
    reply: dict[str, Any] = stack.invoke("send", sqs_event([record]))
    return reply


def _counters(step: int) -> dict[str, int]:
    return MessagingStore(get_settings().messaging_table).counters("dormant-offer").get(step, {})


def test_push_goes_to_an_enabled_endpoint(stack: Stack) -> None:
    arn = _endpoint("token-ok")
    dormant_profile("u1", LAST_ORDER, push_endpoint=arn, consent={"push": True, "email": True})
    assert _send_step(stack, "u1", 1) == {"batchItemFailures": []}
    assert _counters(1)["sent_push"] == 1


def test_disabled_endpoint_is_suppressed_and_the_next_message_takes_another_channel(stack: Stack) -> None:
    """Guards: SNS's EndpointDisabled on Publish is classified as a dead address (AddressGone), the
    endpoint is suppressed with reason push_endpoint_disabled, the job is not failed (so SQS does not
    retry it forever), and the suppression moves the user's next message to their next channel."""
    arn = _endpoint("token-stale")
    boto3.client("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    dormant_profile("u1", LAST_ORDER, push_endpoint=arn, consent={"push": True, "email": True})

    assert _send_step(stack, "u1", 1) == {"batchItemFailures": []}  # nothing for SQS to redeliver
    item = suppression_item(f"push#{arn}")
    assert item is not None and item["reason"]["S"] == "push_endpoint_disabled"
    counters = _counters(1)
    assert counters["push_endpoint_disabled"] == 1 and counters.get("sent_push", 0) == 0
    assert sent_emails() == []

    # The next step skips the dead endpoint and reaches the user by email.
    assert _send_step(stack, "u1", 2) == {"batchItemFailures": []}
    assert _counters(2).get("push_endpoint_disabled", 0) == 0 and _counters(2)["sent_email"] == 1
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [["u1@mail.example.com"]]
