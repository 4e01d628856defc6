"""SMS feedback: replies (services/feedback/sms_replies.py) and delivery status from SNS's delivery-status
logs (services/feedback/sms_status.py), counted in the text's cell once per message id."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fakes.send import InMemoryMessaging, InMemorySuppressions
from winback.domain.journey.addresses import address_key
from winback.models.feedback import InboundSms
from winback.models.send_state import SmsCell
from winback.services.feedback.sms_replies import apply_sms_reply
from winback.services.feedback.sms_status import classify, handle_sms_status, log_records
from winback_dev.lambda_events import LOGS_CONTROL_MESSAGE, logs_event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PHONE = "+14155550100"


def reply(body: str) -> InboundSms:
    return InboundSms.model_validate({"originationNumber": PHONE, "messageBody": body})


def test_stop_suppresses_the_number_and_start_lifts_only_that() -> None:
    suppression = InMemorySuppressions()
    assert apply_sms_reply(reply("  退订 "), suppression, NOW) == "sms_stop"
    assert suppression.reasons == {address_key("sms", PHONE): "sms_stop"}
    assert apply_sms_reply(reply("Start"), suppression, NOW) == "sms_start"
    assert suppression.reasons == {}
    assert apply_sms_reply(reply("START"), suppression, NOW) == "sms_reply"  # nothing to lift


def test_start_does_not_lift_what_no_keyword_set() -> None:
    suppression = InMemorySuppressions()
    suppression.suppress(address_key("sms", PHONE), "unsubscribe", "campaign:c1", NOW)
    assert apply_sms_reply(reply("UNSTOP"), suppression, NOW) == "sms_reply"
    assert suppression.reasons == {address_key("sms", PHONE): "unsubscribe"}


def test_any_other_reply_changes_nothing() -> None:
    suppression = InMemorySuppressions()
    assert apply_sms_reply(reply("thanks, see you soon"), suppression, NOW) == "sms_reply"
    assert suppression.reasons == {}


def status(message_id: str, ok: bool, response: str = "") -> dict[str, Any]:
    return {
        "notification": {"messageId": message_id, "timestamp": "2026-03-01 11:00:00.000"},
        "delivery": {"providerResponse": response},
        "status": "SUCCESS" if ok else "FAILURE",
    }


def envelope(*records: dict[str, Any]) -> dict[str, Any]:
    logged = [{"id": str(i), "timestamp": 1772362800000, "message": json.dumps(r)} for i, r in enumerate(records)]
    return logs_event({"messageType": "DATA_MESSAGE", "logEvents": logged})


class Pauses:
    def __init__(self) -> None:
        self.paused: list[tuple[str, str, datetime | None]] = []

    def pause(self, channel: str, reason: str, now: datetime, until: datetime | None = None) -> None:
        self.paused.append((channel, reason, until))


@pytest.mark.parametrize(
    ("record", "kinds"),
    [
        (status("m", True, "Message has been accepted by phone carrier"), ["delivered"]),
        (status("m", False, "Unknown error attempting to reach phone"), ["undelivered"]),
        (status("m", False, "No quota left for account"), ["undelivered", "sms_spend_limit"]),
        (status("m", False, "Phone carrier has blocked this message"), ["undelivered", "sms_carrier_blocked"]),
    ],
)
def test_a_status_record_adds_its_counters(record: dict[str, Any], kinds: list[str]) -> None:
    assert classify(record) == kinds


def test_a_payload_that_is_not_a_subscription_event_names_awslogs_data() -> None:
    with pytest.raises(ValueError, match=r"awslogs\.data"):
        log_records({"awslogs": {"data": "not base64 gzip"}})


def test_a_control_message_is_counted_and_changes_nothing() -> None:
    """Guard: the `messageType` check in subscription_payload/handle_sms_status. Without it the control
    message's plain-text log event fails to parse as a record, the invocation raises, Lambda retries
    it and the function counts an error."""
    messaging, pauses = InMemoryMessaging(sms_cells={}), Pauses()
    counts = handle_sms_status(logs_event(LOGS_CONTROL_MESSAGE), messaging, pauses, NOW)  # type: ignore[arg-type]
    assert counts == {"control_message": 1}
    assert messaging.counted == {} and pauses.paused == []
    assert log_records(logs_event(LOGS_CONTROL_MESSAGE)) == []


def test_an_unknown_message_type_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"messageType"):
        log_records(logs_event({"logEvents": []}))


def test_each_status_counts_once_in_the_cell_of_its_text() -> None:
    cell = SmsCell(campaign_id="c1", step=1, arm="B", segment="loyal")
    messaging, pauses = InMemoryMessaging(sms_cells={"m-1": cell, "m-2": cell}), Pauses()
    event = envelope(
        status("m-1", True),
        status("m-1", True),  # logged twice
        status("m-2", False, "No quota left for account"),
        status("m-9", True),  # not a campaign text
    )
    counts = handle_sms_status(event, messaging, pauses, NOW)  # type: ignore[arg-type]
    assert counts == {
        "delivered": 1,
        "duplicate": 1,
        "undelivered": 1,
        "sms_spend_limit": 1,
        "channel_paused": 1,
        "untracked": 1,
    }
    assert messaging.counted == {
        ("c1", 1, "B", "loyal", "delivered"): 1,
        ("c1", 1, "B", "loyal", "undelivered"): 1,
        ("c1", 1, "B", "loyal", "sms_spend_limit"): 1,
    }
    assert pauses.paused == [("sms", "SNS SMS spend limit reached", None)]  # until an operator resumes
