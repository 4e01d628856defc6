"""SES notifications: what each one is, and the suppressions it makes.

A permanent bounce or a complaint suppresses the address at once; transient bounces do once an
address has had `feedback.soft_bounce_limit` of them within the window. An open fetched by a privacy
proxy is a `machine_open`, not an `open`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.domain.journey.addresses import address_key
from winback.domain.journey.engagement import is_proxy_open

if TYPE_CHECKING:
    from winback.config.guards import Feedback
    from winback.models.feedback import Bounce, SesNotification
    from winback.services.feedback.ports import FeedbackLedger, SuppressionList


def ses_kind(note: SesNotification) -> str:
    """`send`, `delivery`, `open`, `machine_open`, `click`, `complaint`, `hard_bounce` or `soft_bounce`."""
    if note.kind == "Send":
        return "send"
    if note.kind == "Delivery":
        return "delivery"
    if note.kind == "Open" and note.open is not None:
        return "machine_open" if is_proxy_open(note.open.user_agent, note.open.ip_address) else "open"
    if note.kind == "Click":
        return "click"
    if note.kind == "Complaint" and note.complaint is not None:
        return "complaint"
    assert note.bounce is not None
    return "hard_bounce" if note.bounce.bounce_type == "Permanent" else "soft_bounce"


def apply_ses(
    note: SesNotification,
    suppression: SuppressionList,
    messaging: FeedbackLedger,
    rules: Feedback,
    now: datetime,
) -> str:
    """Suppress what the notification says must be; returns its kind (see `ses_kind`). Safe to repeat."""
    kind = ses_kind(note)
    if kind == "complaint" and note.complaint is not None:
        for r in note.complaint.complained_recipients:
            suppression.suppress(address_key("email", r.email_address), "complaint", "ses", now)
    elif kind == "hard_bounce" and note.bounce is not None:
        for r in note.bounce.bounced_recipients:
            suppression.suppress(address_key("email", r.email_address), "bounce", "ses", now)
    elif kind == "soft_bounce" and note.bounce is not None:
        _soft_bounce(note.bounce, note.mail.message_id, suppression, messaging, rules, now)
    return kind


def _soft_bounce(
    bounce: Bounce,
    message_id: str,
    suppression: SuppressionList,
    messaging: FeedbackLedger,
    rules: Feedback,
    now: datetime,
) -> None:
    """Count the transient bounce per address (once per feedback id); suppress at the limit."""
    feedback_id = bounce.feedback_id or message_id
    window = timedelta(days=rules.soft_bounce_window_days)
    for r in bounce.bounced_recipients:
        key = address_key("email", r.email_address)
        count = messaging.count_soft_bounce(key, feedback_id, now, window)
        if count is not None and count >= rules.soft_bounce_limit:
            suppression.suppress(key, "soft_bounce_limit", "ses", now)
