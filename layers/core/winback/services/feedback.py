"""Feedback: SES bounces and complaints, and inbound SMS opt-outs, become suppressions.

Deliveries, bounces, complaints, opens and clicks of tagged campaign mail are also counted in the
campaign's experiment cell (once per message, however often SNS delivers the notification), and a
campaign whose bounce or complaint rate passes the configured level pauses itself. An open fetched
by a privacy proxy counts as `machine_opened`, not `opened`; a click counts in the step its link's
utm parameters name and proves an open. Opens, clicks and deliveries also update the user's
engagement on their profile (the `user` tag), which journeys branch on and the email sunset reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from winback.adapters.messaging_store import MessagingStore
from winback.adapters.suppression_store import SuppressionStore
from winback.config.experiments import Experiments
from winback.config.guards import Feedback
from winback.config.program import Program
from winback.domain.journey.addresses import address_key
from winback.domain.journey.engagement import (
    after_click,
    after_delivery,
    after_open,
    is_proxy_open,
    step_from_link,
    user_from_tag,
)
from winback.domain.journey.opt_out import is_opt_in, is_opt_out
from winback.models.feedback import InboundSms, SesNotification
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.suppression_store import SuppressionStore
    from winback.config.experiments import Experiments
    from winback.config.guards import Feedback
    from winback.config.program import Program
    from winback.models.profile import Engagement


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
    activity: ActivityStore | None = None,
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
            if kind in ("open", "click") and activity is not None:
                _engage(note, kind, activity)  # idempotent: before the once-mark, so a retry completes it
            return Outcome(kind, _count(note, kind, messaging, program.experiments, now, activity))
        if "originationNumber" in data and "messageBody" in data:
            return Outcome(_sms(InboundSms.model_validate(data), suppression, now))
    except ValidationError:
        return Outcome("unknown")
    return Outcome("unknown")


_COUNTED = {
    "delivery": "delivered",
    "hard_bounce": "bounced",
    "complaint": "complained",
    "soft_bounce": "soft_bounced",
    "open": "opened",
    "machine_open": "machine_opened",
    "click": "clicked",
}
_ENGAGEMENT_ATTEMPTS = 3


def _update_engagement(activity: ActivityStore, user_id: str, change: Callable[[Engagement], Engagement]) -> None:
    """Apply `change` to the user's engagement under the profile's version lock (re-read on conflict)."""
    for _ in range(_ENGAGEMENT_ATTEMPTS):
        profile = activity.get(user_id)
        if profile is None:
            return
        updated = change(profile.engagement)
        if updated == profile.engagement or activity.mark_engagement(user_id, updated, profile.version):
            return
    logger.warning("engagement not recorded after repeated conflicts", extra={"user_id": user_id})


def _engage(note: SesNotification, kind: str, activity: ActivityStore) -> None:
    user_id = user_from_tag(note.mail.tag("user") or "")
    if not user_id:
        return
    if kind == "open" and note.open is not None:
        at = note.open.timestamp
        _update_engagement(activity, user_id, lambda e: after_open(e, at))
    elif kind == "click" and note.click is not None:
        at = note.click.timestamp
        _update_engagement(activity, user_id, lambda e: after_click(e, at))


def _count(
    note: SesNotification,
    kind: str,
    messaging: MessagingStore,
    rules: Experiments,
    now: datetime,
    activity: ActivityStore | None = None,
) -> str | None:
    """Count the notification in its campaign's cell; pause the campaign if its rates pass the
    limits. Returns the campaign id when this notification paused it."""
    mail = note.mail
    campaign, step, arm, segment = (mail.tag(t) for t in ("campaign", "step", "arm", "segment"))
    counter = _COUNTED.get(kind)
    if not (campaign and step and step.isdigit() and arm and segment and counter and mail.message_id):
        return None
    cell_step = int(step)
    if kind == "click" and note.click is not None:
        # The first click of a message keeps the step its link was made for.
        cell_step = step_from_link(note.click.link) or cell_step
    if not messaging.first_time("ses", f"{mail.message_id}#{kind}", now):
        return None
    counts = {counter: 1}
    if kind == "click" and messaging.first_time("ses", f"{mail.message_id}#open", now):
        counts["opened"] = 1  # a click proves a person opened it, even with images blocked
    messaging.add_cell(campaign, cell_step, arm, segment, counts)
    user_id = user_from_tag(mail.tag("user") or "")
    if kind == "delivery" and activity is not None and user_id:
        delivered_at = now
        _update_engagement(activity, user_id, lambda e: after_delivery(e, delivered_at))
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
    if note.kind == "Open" and note.open is not None:
        return "machine_open" if is_proxy_open(note.open.user_agent, note.open.ip_address) else "open"
    if note.kind == "Click":
        return "click"
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
