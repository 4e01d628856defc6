"""SMS "delivered" means delivered: SNS delivery-status logs, through a CloudWatch Logs subscription.

The records are AWS's documented delivery-status log examples (Amazon SNS developer guide /
knowledge center "monitor SNS texts with CloudWatch"), with the message id set to the one the send
got from SNS; the failure's providerResponse is SNS's spend-limit answer ("No quota left for
account") instead of the example's "Unknown error attempting to reach phone". They arrive in the
documented subscription envelope: `awslogs.data`, base64 of gzipped JSON with `logEvents`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_sms, use_program
from winback.adapters.channel_pause import ChannelPauses
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.models.send_state import send_key
from winback_dev.lambda_events import LOGS_CONTROL_MESSAGE, logs_event, sqs_event, sqs_record

LAST_ORDER = datetime.now(UTC) - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()


def _success(message_id: str) -> dict[str, Any]:
    return {
        "notification": {"messageId": message_id, "timestamp": "2016-06-28 00:40:34.558"},
        "delivery": {
            "phoneCarrier": "My Phone Carrier",
            "mnc": 270,
            "destination": "+1XXX5550100",
            "priceInUSD": 0.00645,
            "smsType": "Transactional",
            "mcc": 310,
            "providerResponse": "Message has been accepted by phone carrier",
            "dwellTimeMs": 599,
            "dwellTimeMsUntilDeviceAck": 1344,
        },
        "status": "SUCCESS",
    }


def _spend_limit_failure(message_id: str) -> dict[str, Any]:
    return {
        "notification": {"messageId": message_id, "timestamp": "2016-06-28 00:40:34.559"},
        "delivery": {
            "mnc": 0,
            "destination": "+1XXX5550100",
            "priceInUSD": 0.00645,
            "smsType": "Transactional",
            "mcc": 0,
            "providerResponse": "No quota left for account",
            "dwellTimeMs": 1420,
            "dwellTimeMsUntilDeviceAck": 1692,
        },
        "status": "FAILURE",
    }


def _awslogs(*records: dict[str, Any], group: str) -> dict[str, Any]:
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group,
        "logStream": "d34b5a43-fa6e-4b8a-9dcb-6f6d4bbd1b8f",
        "subscriptionFilters": ["winback-FeedbackFunctionSmsFailed"],
        "logEvents": [
            {"id": f"3619567282915846630855081286838{i}", "timestamp": 1467074434559, "message": json.dumps(r)}
            for i, r in enumerate(records)
        ],
    }
    return logs_event(data)


def _send_sms(stack: Stack, user: str) -> str:
    job = {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": user, "episode": EPISODE, "arm": "a", "segment": "all"}],
    }
    stack.invoke("send", sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")]))
    reply = boto3.client("dynamodb").get_item(
        TableName=get_settings().messaging_table,
        Key={"pk": {"S": f"user#{user}"}, "sk": {"S": f"msg#{send_key('dormant-offer', 0, EPISODE)}"}},
    )
    return str(reply["Item"]["message_id"]["S"]) if "Item" in reply else ""


def _counters() -> dict[str, int]:
    return MessagingStore(get_settings().messaging_table).counters("dormant-offer").get(0, {})


@pytest.fixture(autouse=True)
def _sms_users(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    for i, user in enumerate(["u1", "u2", "u3"]):
        dormant_profile(user, LAST_ORDER, email=None, phone=f"+1415555012{i}", consent={"sms": True})


def test_sms_counts_delivered_only_on_success_and_a_spend_limit_failure_pauses_sms(stack: Stack) -> None:
    """Guards: no `delivered` on SNS's acceptance (send/deliver.py), `delivered` only on a SUCCESS
    status and `undelivered` on a FAILURE (services/feedback/sms_status.classify), and the SMS channel pause
    a spend-limit failure sets (handle_sms_status), which makes the sender defer the next text."""
    delivered_id, dropped_id = _send_sms(stack, "u1"), _send_sms(stack, "u2")
    assert delivered_id and dropped_id and len(sent_sms()) == 2
    assert "delivered" not in _counters()  # accepted is not delivered

    group = "sns/us-east-1/123456789012/DirectPublishToPhoneNumber"
    assert stack.invoke("feedback", _awslogs(_success(delivered_id), group=group))["delivered"] == 1
    failed = stack.invoke("feedback", _awslogs(_spend_limit_failure(dropped_id), group=f"{group}/Failure"))
    assert failed["undelivered"] == 1 and failed["sms_spend_limit"] == 1
    counters = _counters()
    assert counters["delivered"] == 1 and counters["undelivered"] == 1 and counters["sms_spend_limit"] == 1

    pause = ChannelPauses(get_settings().messaging_table).get("sms")
    assert pause is not None and pause.until is None
    assert _send_sms(stack, "u3") == "" and len(sent_sms()) == 2  # the next text waits, unclaimed
    assert _counters()["channel_paused"] == 1

    # CloudWatch Logs may deliver the same batch again: each status counts once.
    stack.invoke("feedback", _awslogs(_success(delivered_id), group=group))
    assert _counters()["delivered"] == 1


def test_a_payload_that_is_not_a_subscription_envelope_is_refused_naming_the_field(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"awslogs\.data"):
        stack.invoke("feedback", {"awslogs": {"data": "not base64 gzip"}})


def test_a_control_message_through_the_handler_is_answered_not_raised(stack: Stack) -> None:
    """Guard: the handler takes CloudWatch Logs' reachability check (messageType CONTROL_MESSAGE, in
    the gzipped base64 envelope Lambda receives) without raising, so Lambda neither retries it nor
    counts an error, and nothing is counted in any cell."""
    event = logs_event(LOGS_CONTROL_MESSAGE)
    assert stack.invoke("feedback", event) == {"control_message": 1}
    assert _counters() == {}
