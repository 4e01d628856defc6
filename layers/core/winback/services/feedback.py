"""Feedback: SES bounces and complaints, and inbound SMS opt-outs, become suppressions.

Deliveries, bounces and complaints of tagged campaign mail are also counted in the campaign's
experiment cell (once per message and recipient, however often SNS delivers the notification),
and a campaign whose bounce or complaint rate passes the configured level pauses itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from winback.adapters.messaging_store import MessagingStore
from winback.adapters.suppression_store import SuppressionStore
from winback.config.experiments import Experiments
from winback.config.guards import Feedback
from winback.config.program import Program
from winback.domain.journey.addresses import address_key
from winback.domain.journey.opt_out import is_opt_in, is_opt_out
from winback.models.feedback import InboundSms, SesNotification
from winback.runtime.observability import logger


@dataclass(frozen=True)
class Outcome:
    kind: str
    paused: str | None = None  # the campaign this feedback paused


def handle_feedback(
    message: str,
    suppression: SuppressionStore,
    messaging: MessagingStore,
    program: Program,
    now: datetime,
) -> Outcome:
    """Apply one feedback message; returns what it was (for metrics and logs). Safe to repeat."""
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return Outcome("unknown")
    if not isinstance(data, dict):
        return Outcome("unknown")
    try:
        if "notificationType" in data or "eventType" in data:
            note = SesNotification.model_validate(data)
            kind = _ses(note, suppression, messaging, program.feedback, now)
            return Outcome(kind, _count(note, kind, messaging, program.experiments, now))
        if "originationNumber" in data and "messageBody" in data:
            return Outcome(_sms(InboundSms.model_validate(data), suppression, now))
    except ValidationError:
        return Outcome("unknown")
    return Outcome("unknown")


_COUNTED = {"delivery": "delivered", "hard_bounce": "bounced", "complaint": "complained", "soft_bounce": "soft_bounced"}


def _count(
    note: SesNotification, kind: str, messaging: MessagingStore, rules: Experiments, now: datetime
) -> str | None:
    """Count the notification in its campaign's cell; pause the campaign if its rates pass the
    limits. Returns the campaign id when this notification paused it."""
    mail = note.mail
    campaign, step, arm, segment = (mail.tag(t) for t in ("campaign", "step", "arm", "segment"))
    counter = _COUNTED.get(kind)
    if not (campaign and step and step.isdigit() and arm and segment and counter and mail.message_id):
        return None
    if not messaging.first_time("ses", f"{mail.message_id}#{kind}", now):
        return None
    messaging.add_cell(campaign, int(step), arm, segment, {counter: 1})
    if counter not in ("bounced", "complained"):
        return None
    totals = messaging.add_totals(campaign, {counter: 1})
    reason = pause_reason(totals, rules)
    if reason and messaging.pause(campaign, reason, now):
        logger.warning("campaign paused itself", extra={"campaign_id": campaign, "reason": reason})
        return campaign
    return None


def pause_reason(totals: dict[str, int], rules: Experiments) -> str | None:
    """Why a campaign with these running totals must stop sending (None: it may go on). Rates are
    of email: bounces and complaints only exist there, and SMS or inbox sends would dilute them."""
    sent = totals.get("sent_email", 0)
    if sent < rules.pause_min_sent:
        return None
    bounce_rate = totals.get("bounced", 0) / sent
    complaint_rate = totals.get("complained", 0) / sent
    if bounce_rate > rules.max_bounce_rate:
        return f"bounce rate {bounce_rate:.2%} over {rules.max_bounce_rate:.2%} after {sent} sends"
    if complaint_rate > rules.max_complaint_rate:
        return f"complaint rate {complaint_rate:.3%} over {rules.max_complaint_rate:.3%} after {sent} sends"
    return None


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
    address = address_key("sms", sms.origination_number)
    if is_opt_in(sms.message_body):
        # START / UNSTOP lifts only what a keyword set: a bounce or complaint stays.
        return "sms_start" if suppression.lift(address, "sms_stop") else "sms_reply"
    if not is_opt_out(sms.message_body):
        return "sms_reply"
    suppression.suppress(address, "sms_stop", "sms", now)
    return "sms_stop"
