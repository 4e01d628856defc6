"""One message of the FeedbackTopic: an SES notification (send, bounce, complaint, delivery, open,
click) or an inbound SMS. Anything else is `unknown`, and ignored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from winback.models.feedback import InboundSms, SesNotification
from winback.services.feedback.accepted import record_accepted
from winback.services.feedback.cells import count_in_cell
from winback.services.feedback.engagement import engage
from winback.services.feedback.ses import apply_ses
from winback.services.feedback.sms_replies import apply_sms_reply

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.config.program import Program
    from winback.services.feedback.ports import FeedbackLedger, SuppressionList


@dataclass(frozen=True)
class FeedbackResult:
    kind: str
    paused: str | None = None  # the campaign this feedback paused


def handle_feedback(
    message: str,
    suppression: SuppressionList,
    messaging: FeedbackLedger,
    program: Program,
    now: datetime,
    activity: ActivityStore | None = None,
) -> FeedbackResult:
    """Apply one feedback message; returns what it was (for metrics and logs). Safe to repeat."""
    data = _json_object(message)
    try:
        if data is not None and ("notificationType" in data or "eventType" in data):
            note = SesNotification.model_validate(data)
            return _ses_feedback(note, suppression, messaging, program, now, activity)
        if data is not None and "originationNumber" in data and "messageBody" in data:
            return FeedbackResult(apply_sms_reply(InboundSms.model_validate(data), suppression, now))
    except ValidationError:
        return FeedbackResult("unknown")
    return FeedbackResult("unknown")


def _json_object(message: str) -> dict[str, Any] | None:
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _ses_feedback(
    note: SesNotification,
    suppression: SuppressionList,
    messaging: FeedbackLedger,
    program: Program,
    now: datetime,
    activity: ActivityStore | None,
) -> FeedbackResult:
    kind = apply_ses(note, suppression, messaging, program.feedback, now)
    if kind == "send":
        record_accepted(note.mail, messaging, now)
        return FeedbackResult(kind)
    if kind in ("open", "click") and activity is not None:
        engage(note, kind, activity)  # idempotent: before the once-mark, so a retry completes it
    return FeedbackResult(kind, count_in_cell(note, kind, messaging, program.experiments, now, activity))
