"""models/feedback.py: SES notifications (both forms) and inbound SMS."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from winback.models.feedback import InboundSms, SesNotification

BOUNCE = {
    "bounceType": "Permanent",
    "bounceSubType": "General",
    "bouncedRecipients": [{"emailAddress": "Ada@Example.com", "status": "5.1.1"}],
    "feedbackId": "fb-1",
    "timestamp": "2025-06-01T12:00:00.000Z",
}
COMPLAINT = {
    "complainedRecipients": [{"emailAddress": "ada@example.com"}],
    "feedbackId": "fb-2",
    "complaintFeedbackType": "abuse",
}
DELIVERY = {"recipients": ["ada@example.com"], "smtpResponse": "250 ok"}
MAIL = {"messageId": "m-1", "source": "winback@shop.example.com", "destination": ["ada@example.com"]}


def note(form: str, kind: str, **body: Any) -> dict[str, Any]:
    return {form: kind, "mail": MAIL, **body}


@pytest.mark.parametrize("form", ["notificationType", "eventType"])
def test_bounce_parses_in_both_forms(form: str) -> None:
    parsed = SesNotification.model_validate(note(form, "Bounce", bounce=BOUNCE))
    assert parsed.kind == "Bounce"
    assert parsed.bounce is not None
    assert parsed.bounce.bounce_type == "Permanent"
    assert parsed.bounce.feedback_id == "fb-1"
    assert [r.email_address for r in parsed.bounce.bounced_recipients] == ["Ada@Example.com"]
    assert parsed.mail.message_id == "m-1"


@pytest.mark.parametrize("form", ["notificationType", "eventType"])
def test_complaint_parses_in_both_forms(form: str) -> None:
    parsed = SesNotification.model_validate(note(form, "Complaint", complaint=COMPLAINT))
    assert parsed.kind == "Complaint"
    assert parsed.complaint is not None
    assert [r.email_address for r in parsed.complaint.complained_recipients] == ["ada@example.com"]


@pytest.mark.parametrize("form", ["notificationType", "eventType"])
def test_delivery_parses_in_both_forms(form: str) -> None:
    parsed = SesNotification.model_validate(note(form, "Delivery", delivery=DELIVERY))
    assert parsed.kind == "Delivery"
    assert parsed.bounce is None
    assert parsed.complaint is None


@pytest.mark.parametrize("form", ["notificationType", "eventType"])
def test_bounce_without_bounce_object_is_rejected(form: str) -> None:
    with pytest.raises(ValidationError, match="without a bounce object"):
        SesNotification.model_validate(note(form, "Bounce"))


def test_complaint_without_complaint_object_is_rejected() -> None:
    with pytest.raises(ValidationError, match="without a complaint object"):
        SesNotification.model_validate(note("eventType", "Complaint"))


def test_bounce_without_recipients_is_rejected() -> None:
    with pytest.raises(ValidationError):
        SesNotification.model_validate(note("notificationType", "Bounce", bounce={**BOUNCE, "bouncedRecipients": []}))


@pytest.mark.parametrize("bounce_type", ["Transient", "Undetermined"])
def test_soft_bounce_types_parse(bounce_type: str) -> None:
    parsed = SesNotification.model_validate(note("eventType", "Bounce", bounce={**BOUNCE, "bounceType": bounce_type}))
    assert parsed.bounce is not None
    assert parsed.bounce.bounce_type == bounce_type


def test_unknown_bounce_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        SesNotification.model_validate(note("eventType", "Bounce", bounce={**BOUNCE, "bounceType": "Soft"}))


@pytest.mark.parametrize("kind", ["Open", "Click", "Send", "AmazonSnsSubscriptionSucceeded"])
def test_other_ses_kinds_are_rejected(kind: str) -> None:
    with pytest.raises(ValidationError):
        SesNotification.model_validate(note("eventType", kind))


def test_missing_kind_is_rejected() -> None:
    with pytest.raises(ValidationError):
        SesNotification.model_validate({"bounce": BOUNCE, "mail": MAIL})


def test_missing_mail_and_feedback_id_default_to_empty() -> None:
    bounce = {k: v for k, v in BOUNCE.items() if k != "feedbackId"}
    parsed = SesNotification.model_validate({"notificationType": "Bounce", "bounce": bounce})
    assert parsed.mail.message_id == ""
    assert parsed.bounce is not None
    assert parsed.bounce.feedback_id == ""


def test_inbound_sms_parses() -> None:
    sms = InboundSms.model_validate(
        {
            "originationNumber": "+8613800138000",
            "destinationNumber": "+12065550100",
            "messageKeyword": "KEYWORD",
            "messageBody": "退订",
            "inboundMessageId": "in-1",
        }
    )
    assert (sms.origination_number, sms.message_body, sms.inbound_message_id) == ("+8613800138000", "退订", "in-1")


def test_inbound_sms_without_body_is_rejected() -> None:
    with pytest.raises(ValidationError):
        InboundSms.model_validate({"originationNumber": "+8613800138000"})


def test_pause_reason_waits_for_volume_then_names_the_rate() -> None:
    from winback.config.experiments import Experiments
    from winback.services.feedback.cells import pause_reason

    rules = Experiments()
    assert pause_reason({"sent_email": 199, "bounced": 100}, rules) is None
    assert pause_reason({"sent_email": 1000, "bounced": 50}, rules) is None  # 5.0% is the limit, not over it
    assert pause_reason({"sent_email": 100, "sent": 5000, "bounced": 51}, rules) is None  # other channels: not email
    reason = pause_reason({"sent_email": 1000, "bounced": 51}, rules)
    assert reason is not None and reason.startswith("bounce rate 5.10%")
    complaint = pause_reason({"sent_email": 1000, "complained": 2}, rules)
    assert complaint is not None and complaint.startswith("complaint rate")


@pytest.mark.parametrize("name", ["ses_open_record.json", "ses_click_record.json"])
def test_documented_open_and_click_records_parse_verbatim(name: str) -> None:
    """Guard: the Open and Click records exactly as the SES guide shows them are understood."""
    import json
    from pathlib import Path

    record = json.loads((Path(__file__).parents[2] / "aws_payloads" / name).read_text())
    parsed = SesNotification.model_validate(record)
    assert parsed.kind == record["eventType"]
    assert parsed.mail.message_id == "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
    event = parsed.open if parsed.kind == "Open" else parsed.click
    assert event is not None and event.ip_address == "192.0.2.1" and event.user_agent.startswith("Mozilla/5.0 (")


def test_open_without_its_object_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Open event without an open object"):
        SesNotification.model_validate({"eventType": "Open", "mail": MAIL})
