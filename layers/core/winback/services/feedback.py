"""Feedback: SES bounces and complaints, and inbound SMS opt-outs, become suppressions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pydantic import ValidationError

from winback.adapters.messaging_store import MessagingStore
from winback.adapters.suppression_store import SuppressionStore
from winback.domain.addresses import address_key
from winback.domain.opt_out import is_opt_out
from winback.models.feedback import InboundSms, SesNotification
from winback.program import Feedback


def handle_feedback(
    message: str,
    suppression: SuppressionStore,
    messaging: MessagingStore,
    rules: Feedback,
    now: datetime,
) -> str:
    """Apply one feedback message; returns what it was (for metrics and logs). Safe to repeat."""
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return "unknown"
    if not isinstance(data, dict):
        return "unknown"
    try:
        if "notificationType" in data or "eventType" in data:
            return _ses(SesNotification.model_validate(data), suppression, messaging, rules, now)
        if "originationNumber" in data and "messageBody" in data:
            return _sms(InboundSms.model_validate(data), suppression, now)
    except ValidationError:
        return "unknown"
    return "unknown"


def _ses(
    note: SesNotification,
    suppression: SuppressionStore,
    messaging: MessagingStore,
    rules: Feedback,
    now: datetime,
) -> str:
    if note.kind == "Delivery":
        return "delivery"
    if note.kind == "Complaint" and note.complaint is not None:
        for r in note.complaint.complained_recipients:
            suppression.suppress(address_key("email", r.email_address), "complaint", "ses", now)
        return "complaint"
    assert note.bounce is not None
    bounce = note.bounce
    if bounce.bounce_type == "Permanent":
        for r in bounce.bounced_recipients:
            suppression.suppress(address_key("email", r.email_address), "bounce", "ses", now)
        return "hard_bounce"
    feedback_id = bounce.feedback_id or note.mail.message_id
    for r in bounce.bounced_recipients:
        key = address_key("email", r.email_address)
        count = messaging.count_soft_bounce(key, feedback_id, now, timedelta(days=rules.soft_bounce_window_days))
        if count is not None and count >= rules.soft_bounce_limit:
            suppression.suppress(key, "soft_bounce_limit", "ses", now)
    return "soft_bounce"


def _sms(sms: InboundSms, suppression: SuppressionStore, now: datetime) -> str:
    if not is_opt_out(sms.message_body):
        return "sms_reply"
    suppression.suppress(address_key("sms", sms.origination_number), "sms_stop", "sms", now)
    return "sms_stop"
