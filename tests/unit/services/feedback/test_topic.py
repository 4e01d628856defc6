"""One FeedbackTopic message (services/feedback/topic.py): an SES notification, an inbound SMS, or
`unknown` (not JSON, not an object, not valid), which changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.fakes.send import InMemoryMessaging, InMemorySuppressions
from winback.config.program import Program
from winback.services.feedback.topic import FeedbackResult, handle_feedback

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"something": "else"}),
        json.dumps({"notificationType": "Bounce", "mail": {"messageId": "m-1"}}),  # no bounce object
        json.dumps({"originationNumber": "", "messageBody": "STOP"}),
    ],
)
def test_what_is_not_feedback_is_unknown_and_changes_nothing(message: str, program: Program) -> None:
    suppression, messaging = InMemorySuppressions(), InMemoryMessaging()
    assert handle_feedback(message, suppression, messaging, program, NOW) == FeedbackResult("unknown")
    assert suppression.reasons == {}
    assert messaging.counted == {}


def test_an_inbound_sms_and_an_ses_notification_are_told_apart(program: Program) -> None:
    suppression, messaging = InMemorySuppressions(), InMemoryMessaging()
    sms = json.dumps({"originationNumber": "+14155550100", "messageBody": "STOP"})
    assert handle_feedback(sms, suppression, messaging, program, NOW) == FeedbackResult("sms_stop")
    ses = json.dumps(
        {
            "notificationType": "Complaint",
            "mail": {"messageId": "m-1"},
            "complaint": {"complainedRecipients": [{"emailAddress": "ada@example.com"}]},
        }
    )
    assert handle_feedback(ses, suppression, messaging, program, NOW) == FeedbackResult("complaint")
    assert sorted(suppression.reasons.values()) == ["complaint", "sms_stop"]
