"""Answering a reason link (services.recipient.reasons.answer_reason), against in-memory stores: the answer is
counted under the segment the user was assigned in for that campaign, and a privacy answer
withdraws consent on every channel."""

from __future__ import annotations

from datetime import UTC, datetime

from winback.adapters.activity_store import ActivityStore
from winback.adapters.reason_store import ReasonStore
from winback.config.campaigns import CHANNELS
from winback.domain.journey.reasons import Answer
from winback.domain.links.reason_links import ReasonClaim
from winback.models.profile import Assignment, Profile
from winback.models.reasons import StoredAnswer
from winback.services.recipient.reasons import DEFAULT_SEGMENT, Recorded, answer_reason, assigned_segment

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CAMPAIGN = "lost-question"
EPISODE = "2026-01-01T00:00:00+00:00"


class MemoryActivity(ActivityStore):
    def __init__(self, *profiles: Profile) -> None:
        super().__init__("memory")
        self.profiles = {p.user_id: p for p in profiles}

    def get(self, user_id: str) -> Profile | None:
        profile = self.profiles.get(user_id)
        return profile.model_copy(deep=True) if profile else None

    def put(self, profile: Profile, expected_version: int) -> bool:
        stored = self.profiles.get(profile.user_id)
        if (stored.version if stored else 0) != expected_version:
            return False
        self.profiles[profile.user_id] = profile
        return True


class MemoryReasons(ReasonStore):
    def __init__(self) -> None:
        super().__init__("memory")
        self.answers: dict[tuple[str, str, str], StoredAnswer] = {}

    def get(self, user_id: str, campaign_id: str, episode: str) -> StoredAnswer | None:
        return self.answers.get((user_id, campaign_id, episode))

    def replace(
        self,
        user_id: str,
        campaign_id: str,
        episode: str,
        answer: StoredAnswer,
        previous: StoredAnswer | None,
        now: datetime,
    ) -> bool:
        if self.answers.get((user_id, campaign_id, episode)) != previous:
            return False
        self.answers[(user_id, campaign_id, episode)] = answer
        return True


def _assigned(user_id: str, campaign_id: str, segment: str) -> Profile:
    assignment = Assignment(
        campaign_id=campaign_id, arm="a", segment=segment, tier="lost", episode=EPISODE, assigned_at=NOW
    )
    return Profile(
        user_id=user_id, version=3, consent={"email": True, "sms": True}, locale="zh-CN", assignment=assignment
    )


def _claim(user_id: str, reason: Answer) -> ReasonClaim:
    return ReasonClaim(user_id=user_id, campaign_id=CAMPAIGN, episode=EPISODE, reason=reason, expires=0)


def test_the_answer_counts_under_the_segment_assigned_in_this_campaign() -> None:
    activity, reasons = MemoryActivity(_assigned("u1", CAMPAIGN, "vip")), MemoryReasons()
    answered = answer_reason(_claim("u1", "forgot"), activity, reasons, NOW)
    assert answered.recorded is Recorded.NEW
    assert reasons.answers[("u1", CAMPAIGN, EPISODE)] == StoredAnswer(reason="forgot", segment="vip")
    assert answered.profile is not None and answered.profile.consent == {"email": True, "sms": True}


def test_an_assignment_in_another_campaign_or_none_counts_under_the_default_segment() -> None:
    other = _assigned("u1", "dormant-offer", "vip")
    assert assigned_segment(other, CAMPAIGN) == DEFAULT_SEGMENT
    assert assigned_segment(None, CAMPAIGN) == DEFAULT_SEGMENT
    assert assigned_segment(Profile(user_id="u2"), CAMPAIGN) == DEFAULT_SEGMENT
    reasons = MemoryReasons()
    answer_reason(_claim("u1", "competitor"), MemoryActivity(other), reasons, NOW)
    assert reasons.answers[("u1", CAMPAIGN, EPISODE)].segment == DEFAULT_SEGMENT


def test_a_privacy_answer_withdraws_consent_on_every_channel_and_returns_the_new_profile() -> None:
    activity, reasons = MemoryActivity(_assigned("u1", CAMPAIGN, "vip")), MemoryReasons()
    answered = answer_reason(_claim("u1", "privacy"), activity, reasons, NOW)
    assert answered.profile is not None
    assert all(answered.profile.consent[channel] is False for channel in CHANNELS)
    assert answered.profile.locale == "zh-CN"  # the thanks page still speaks the user's language
    assert activity.profiles["u1"].version == 4


def test_answering_again_changes_nothing() -> None:
    activity, reasons = MemoryActivity(_assigned("u1", CAMPAIGN, "vip")), MemoryReasons()
    answer_reason(_claim("u1", "privacy"), activity, reasons, NOW)
    again = answer_reason(_claim("u1", "privacy"), activity, reasons, NOW)
    assert again.recorded is Recorded.UNCHANGED
    assert activity.profiles["u1"].version == 4


def test_an_unknown_user_is_recorded_without_a_profile() -> None:
    reasons = MemoryReasons()
    answered = answer_reason(_claim("ghost", "privacy"), MemoryActivity(), reasons, NOW)
    assert answered == type(answered)(Recorded.NEW, None)
    assert reasons.answers[("ghost", CAMPAIGN, EPISODE)].segment == DEFAULT_SEGMENT
