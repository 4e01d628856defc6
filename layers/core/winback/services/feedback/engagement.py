"""Engagement on the user's profile (the `user` tag of campaign mail): the last open and click, and the
campaign emails delivered since, which journeys branch on and the email sunset reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.journey.engagement import after_click, after_delivery, after_open, user_from_tag
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.models.feedback import SesNotification
    from winback.models.profile import Engagement

_ATTEMPTS = 3


def _update(activity: ActivityStore, user_id: str, change: Callable[[Engagement], Engagement]) -> None:
    """Apply `change` to the user's engagement under the profile's version lock (re-read on conflict)."""
    for _ in range(_ATTEMPTS):
        profile = activity.get(user_id)
        if profile is None:
            return
        updated = change(profile.engagement)
        if updated == profile.engagement or activity.mark_engagement(user_id, updated, profile.version):
            return
    logger.warning("engagement not recorded after repeated conflicts", extra={"user_id": user_id})


def tagged_user(note: SesNotification) -> str | None:
    """The user a campaign email was sent to, from its `user` tag."""
    return user_from_tag(note.mail.tag("user") or "")


def engage(note: SesNotification, kind: str, activity: ActivityStore) -> None:
    """An open or a click: the user's last open or click moves to its time. Idempotent."""
    user_id = tagged_user(note)
    if not user_id:
        return
    if kind == "open" and note.open is not None:
        at = note.open.timestamp
        _update(activity, user_id, lambda e: after_open(e, at))
    elif kind == "click" and note.click is not None:
        at = note.click.timestamp
        _update(activity, user_id, lambda e: after_click(e, at))


def delivered(activity: ActivityStore, user_id: str, now: datetime) -> None:
    """A campaign email delivered to the user (counted once per message by the caller)."""
    _update(activity, user_id, lambda e: after_delivery(e, now))
