"""Tagged campaign mail counted in its experiment cell (delivered, bounced, complained, opened,
clicked ...), once per message however often SNS delivers the notification; and a campaign whose
bounce or complaint rate passes the configured level pauses itself. A click counts in the step its
link's utm parameters name, and proves an open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.journey.engagement import step_from_link
from winback.runtime.observability import logger
from winback.services.feedback.engagement import delivered, tagged_user

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.config.experiments import Experiments
    from winback.models.feedback import Mail, SesNotification
    from winback.services.feedback.ports import FeedbackLedger

COUNTED = {
    "delivery": "delivered",
    "hard_bounce": "bounced",
    "complaint": "complained",
    "soft_bounce": "soft_bounced",
    "open": "opened",
    "machine_open": "machine_opened",
    "click": "clicked",
}


@dataclass(frozen=True)
class _Cell:
    """The experiment cell a notification counts in, and the message it is about."""

    campaign: str
    step: int
    arm: str
    segment: str
    message_id: str


def _tags(mail: Mail) -> tuple[str, int, str, str] | None:
    campaign, step, arm, segment = (mail.tag(t) for t in ("campaign", "step", "arm", "segment"))
    if campaign and step and step.isdigit() and arm and segment:
        return campaign, int(step), arm, segment
    return None


def _cell_of(note: SesNotification, kind: str) -> _Cell | None:
    """None for mail that is not a tagged campaign message, or a kind that is not counted."""
    tags = _tags(note.mail)
    if tags is None or kind not in COUNTED or not note.mail.message_id:
        return None
    campaign, step, arm, segment = tags
    if kind == "click" and note.click is not None:
        # The first click of a message keeps the step its link was made for.
        step = step_from_link(note.click.link) or step
    return _Cell(campaign, step, arm, segment, note.mail.message_id)


def count_in_cell(
    note: SesNotification,
    kind: str,
    messaging: FeedbackLedger,
    rules: Experiments,
    now: datetime,
    activity: ActivityStore | None = None,
) -> str | None:
    """Count the notification in its campaign's cell; pause the campaign if its rates pass the
    limits. Returns the campaign id when this notification paused it."""
    cell = _cell_of(note, kind)
    if cell is None or not messaging.first_time("ses", f"{cell.message_id}#{kind}", now):
        return None
    counts = {COUNTED[kind]: 1}
    if kind == "click" and messaging.first_time("ses", f"{cell.message_id}#open", now):
        counts["opened"] = 1  # a click proves a person opened it, even with images blocked
    messaging.add_cell(cell.campaign, cell.step, cell.arm, cell.segment, counts)
    user_id = tagged_user(note)
    if kind == "delivery" and activity is not None and user_id:
        delivered(activity, user_id, now)
    return _pause_if_over(cell.campaign, COUNTED[kind], messaging, rules, now)


def _pause_if_over(
    campaign: str, counter: str, messaging: FeedbackLedger, rules: Experiments, now: datetime
) -> str | None:
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
