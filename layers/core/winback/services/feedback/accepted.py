"""SES's `Send` event: the provider accepted a campaign email. Recorded by the message's send key (its
tags: user, campaign, step, episode) for the sweeper, which books a claim whose job died before
writing its outcome `sent` from it, and parks the user's next step, instead of `uncertain`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.journey.engagement import episode_from_tag, user_from_tag
from winback.models.send_state import send_key

if TYPE_CHECKING:
    from winback.models.feedback import Mail
    from winback.services.feedback.ports import FeedbackLedger


def sent_key(mail: Mail) -> tuple[str, str] | None:
    """(user id, send key) a campaign email's tags name (None: not one of ours, or tagged before
    emails carried their episode)."""
    user, campaign, step, episode = (mail.tag(t) for t in ("user", "campaign", "step", "episode"))
    if not (user and campaign and step and step.isdigit() and episode):
        return None
    user_id, episode_at = user_from_tag(user), episode_from_tag(episode)
    if user_id is None or episode_at is None:
        return None
    return user_id, send_key(campaign, int(step), episode_at)


def record_accepted(mail: Mail, messaging: FeedbackLedger, now: datetime) -> bool:
    """Keep the message id of an accepted campaign email by its send key; False when it is not one."""
    found = sent_key(mail)
    if found is None or not mail.message_id:
        return False
    messaging.record_accepted(*found, mail.message_id, now)
    return True
