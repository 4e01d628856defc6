"""Why users left: record a user's answer (counted once per user and episode) under the segment
they were assigned in, read it back to route their next step, count answers per segment, and
withdraw consent when the answer asks for it (privacy)."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from winback.config.campaigns import CHANNELS
from winback.domain.journey.reasons import Answer, parse_answer, route
from winback.models.reasons import StoredAnswer

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.reason_store import ReasonStore
    from winback.domain.links.reason_links import ReasonClaim
    from winback.models.profile import Profile

DEFAULT_SEGMENT = "all"
MAX_WRITE_ATTEMPTS = 5


class Recorded(enum.Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Answered:
    recorded: Recorded
    profile: Profile | None  # as it is now (consent withdrawn where the answer asked for it)


class WriteContended(RuntimeError):
    """The item kept changing under us; the last attempt wrote nothing."""


def write_backoff(attempt: int) -> None:
    time.sleep(0.02 * 2**attempt)


def record_answer(
    store: ReasonStore,
    user_id: str,
    campaign_id: str,
    episode: str,
    reason: Answer,
    segment: str = DEFAULT_SEGMENT,
    *,
    now: datetime,
) -> Recorded:
    """Store the user's answer for this campaign episode. Counted once: repeating the same answer
    changes nothing, and a changed answer moves its count from the old reason to the new one."""
    answer = StoredAnswer(reason=reason, segment=segment)
    for attempt in range(MAX_WRITE_ATTEMPTS):
        previous = store.get(user_id, campaign_id, episode)
        if previous is not None and previous.reason == reason:
            return Recorded.UNCHANGED
        if store.replace(user_id, campaign_id, episode, answer, previous, now):
            return Recorded.NEW if previous is None else Recorded.CHANGED
        write_backoff(attempt)
    raise WriteContended(f"answer of {user_id} for {campaign_id} kept changing")


def assigned_segment(profile: Profile | None, campaign_id: str) -> str:
    """The segment the user was assigned under in this campaign (the report's segments)."""
    a = profile.assignment if profile is not None else None
    return a.segment if a is not None and a.campaign_id == campaign_id else DEFAULT_SEGMENT


def answer_reason(claim: ReasonClaim, activity: ActivityStore, store: ReasonStore, now: datetime) -> Answered:
    """A reason link's answer, confirmed by the user: recorded under their segment, and their
    marketing consent withdrawn when the answer's route says so. Safe to repeat."""
    profile = activity.get(claim.user_id)
    recorded = record_answer(
        store,
        claim.user_id,
        claim.campaign_id,
        claim.episode,
        claim.reason,
        assigned_segment(profile, claim.campaign_id),
        now=now,
    )
    if route(claim.reason).withdraw_consent:
        profile = withdraw_consent(activity, claim.user_id, now) or profile
    return Answered(recorded, profile)


def answer_for(store: ReasonStore, user_id: str, campaign_id: str, episode: str) -> Answer | None:
    """The user's answer for this campaign episode, if they gave one (the sender routes on it)."""
    stored = store.get(user_id, campaign_id, episode)
    return parse_answer(stored.reason) if stored else None


def reason_counts(store: ReasonStore, campaign_id: str) -> dict[str, dict[str, int]]:
    """How many users gave each answer, per segment: {segment: {reason: n}}."""
    return store.counts(campaign_id)


WITHDRAWN = (*CHANNELS, "ads")


def withdraw_consent(activity: ActivityStore, user_id: str, now: datetime) -> Profile | None:
    """Withdraw marketing consent on every channel at once (idempotent), so a queued job is not sent."""
    profile = activity.get(user_id)
    for attempt in range(MAX_WRITE_ATTEMPTS):
        # A privacy answer withdraws advertising use (the audience export) along with every channel.
        if profile is None or all(profile.consent.get(channel) is False for channel in WITHDRAWN):
            return profile
        updated = profile.model_copy(deep=True)
        for channel in WITHDRAWN:
            if updated.consent.get(channel) is not False:
                updated.consent[channel] = False
                updated.updated_at[f"consent.{channel}"] = now
        updated.version = profile.version + 1
        if activity.put(updated, expected_version=profile.version):
            return updated
        profile = activity.get(user_id)
        write_backoff(attempt)
    raise WriteContended(f"profile of {user_id} kept changing")
