"""Feedback: bounces, complaints and SMS opt-outs become suppressions; anything else is ignored."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import sample_event, suppression_item
from winback.config.settings import get_settings
from winback.domain.journey.addresses import hashed_key
from winback_dev.lambda_events import ses_bounce, ses_complaint, sms_reply, sns_event

TOPIC = "arn:aws:sns:us-east-1:123456789012:winback-FeedbackTopic"


def _feed(stack: Stack, *messages: str) -> dict[str, int]:
    reply: dict[str, int] = stack.invoke("feedback", sns_event(list(messages), TOPIC))
    return reply


def test_sample_permanent_bounce_suppresses_the_address(stack: Stack) -> None:
    assert stack.invoke("feedback", sample_event("feedback_ses_bounce.json")) == {"hard_bounce": 1}
    item = suppression_item("email#bounce@simulator.amazonses.com")
    assert item is not None and item["reason"]["S"] == "bounce"


def test_sample_complaint_suppresses_the_address(stack: Stack) -> None:
    assert stack.invoke("feedback", sample_event("feedback_ses_complaint.json")) == {"complaint": 1}
    item = suppression_item("email#complaint@simulator.amazonses.com")
    assert item is not None and item["reason"]["S"] == "complaint"


def test_event_publishing_format_is_understood_too(stack: Stack) -> None:
    note = json.loads(ses_bounce("a@example.com"))
    note["eventType"] = note.pop("notificationType")
    assert _feed(stack, json.dumps(note)) == {"hard_bounce": 1}
    assert suppression_item("email#a@example.com") is not None


def test_transient_bounces_suppress_only_at_the_configured_limit(stack: Stack) -> None:
    address = "full@example.com"
    _feed(stack, ses_bounce(address, "Transient"), ses_bounce(address, "Transient"))
    assert suppression_item(f"email#{address}") is None
    again = ses_bounce(address, "Transient", message_id="same")
    _feed(stack, again, again)  # SNS redelivery of one notification counts once
    assert suppression_item(f"email#{address}") is not None


def test_redelivered_transient_bounce_is_counted_once(stack: Stack) -> None:
    address = "full@example.com"
    note = ses_bounce(address, "Transient", message_id="m1")
    _feed(stack, note, note, note)
    assert suppression_item(f"email#{address}") is None


def test_the_soft_bounce_counter_is_keyed_by_the_hashed_address_never_the_address(stack: Stack) -> None:
    """Guard: adapters/messaging_store.py `soft_bounce_pk` (no personal data in a key)."""
    address = "Full.Person@Example.com"
    _feed(stack, ses_bounce(address, "Transient", message_id="m1"))
    items = boto3.client("dynamodb").scan(TableName=get_settings().messaging_table)["Items"]
    counters = [i for i in items if i["sk"]["S"] == "softbounce"]
    assert [c["pk"]["S"] for c in counters] == [f"address#{hashed_key('email#full.person@example.com')}"]
    assert "example" not in json.dumps(items).lower()


@pytest.mark.parametrize("body", ["STOP", "td", "退订", "UNSUBSCRIBE please", "我要退订"])
def test_sms_opt_out_keywords_suppress_the_phone(stack: Stack, body: str) -> None:
    assert _feed(stack, sms_reply("+8613800138000", body)) == {"sms_stop": 1}
    item = suppression_item("sms#+8613800138000")
    assert item is not None and item["reason"]["S"] == "sms_stop"


def test_sms_reply_without_a_keyword_changes_nothing(stack: Stack) -> None:
    assert _feed(stack, sms_reply("+14155550123", "thanks, see you today")) == {"sms_reply": 1}
    assert suppression_item("sms#+14155550123") is None


@pytest.mark.parametrize(
    "message",
    ["not json", "[1, 2]", json.dumps({"hello": "world"}), json.dumps({"notificationType": "Bounce"})],
    ids=["text", "array", "unrelated-json", "bounce-without-body"],
)
def test_unknown_sns_message_is_ignored_without_failing(stack: Stack, message: str) -> None:
    assert _feed(stack, message, ses_complaint("c@example.com")) == {"unknown": 1, "complaint": 1}
