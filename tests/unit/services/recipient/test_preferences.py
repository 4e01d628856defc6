"""The preference page's POST (services.recipient.preferences), against in-memory stores: each choice is
written at once, counted once in the arm of the message that carried the link, "unsubscribe from all"
suppresses every address, and a reason is recorded as the question email's answers are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.services.recipient.test_reasons_answer import MemoryActivity, MemoryReasons
from winback.adapters.activity_store import ActivityStore
from winback.adapters.reason_store import ReasonStore
from winback.domain.journey.preferences import Choice
from winback.domain.links.preference_links import PreferenceClaim
from winback.models.preferences import OwnCap
from winback.models.profile import Assignment, Profile
from winback.models.reasons import StoredAnswer
from winback.services.recipient.preferences import (
    FormNotUnderstood,
    PreferenceRequest,
    apply_preferences,
    parse_form,
)
from winback_dev.memory.messaging import InMemoryMessaging
from winback_dev.memory.stores import InMemorySuppressions

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CAMPAIGN = "dormant-offer"
EPISODE = "2026-01-01T00:00:00+00:00"
FEWER = OwnCap(max_messages=1, window_days=14)


@dataclass
class Ports:
    activity: ActivityStore
    suppression: InMemorySuppressions = field(default_factory=InMemorySuppressions)
    messaging: InMemoryMessaging = field(default_factory=InMemoryMessaging)
    reasons: ReasonStore = field(default_factory=MemoryReasons)


def user(**fields: object) -> Profile:
    assignment = Assignment(
        campaign_id=CAMPAIGN, arm="coupon", segment="vip", tier="dormant", episode=EPISODE, assigned_at=NOW
    )
    data: dict[str, object] = {
        "user_id": "u1",
        "version": 2,
        "email": "u1@mail.example.com",
        "phone": "+14155550101",
        "consent": {"email": True, "sms": True},
        "assignment": assignment,
    }
    return Profile.model_validate(data | fields)


def claim(arm: str = "coupon") -> PreferenceClaim:
    return PreferenceClaim(
        user_id="u1", campaign_id=CAMPAIGN, channel="email", episode=EPISODE, arm=arm, expires=2_000_000_000
    )


def choices(ports: Ports) -> dict[tuple[str, str], dict[str, int]]:
    """Counted cells of the campaign, (arm, segment) -> counters."""
    return {(arm, seg): dict(c) for (camp, step, arm, seg), c in ports.messaging.cells.items() if camp == CAMPAIGN}


def stored(ports: Ports) -> Profile:
    profile = ports.activity.get("u1")
    assert profile is not None
    return profile


@pytest.mark.parametrize("choice", ["fewer", "pause_30", "pause_90"])
def test_a_choice_is_written_at_once_and_counted_once_in_the_links_arm(choice: Choice) -> None:
    ports = Ports(MemoryActivity(user()))
    chosen = apply_preferences(claim(), PreferenceRequest(choice), ports, FEWER, NOW)
    assert chosen.changed and chosen.profile is not None and chosen.profile.preferences is not None
    assert stored(ports).preferences == chosen.profile.preferences and stored(ports).version == 3
    again = apply_preferences(claim(), PreferenceRequest(choice), ports, FEWER, NOW + timedelta(seconds=3))
    assert not again.changed and stored(ports).version == 3
    assert choices(ports) == {("coupon", "vip"): {f"choice_{choice}": 1}}


def test_channels_keep_the_ticked_ones() -> None:
    ports = Ports(MemoryActivity(user()))
    apply_preferences(claim(), PreferenceRequest("channels", keep=frozenset({"sms"})), ports, FEWER, NOW)
    prefs = stored(ports).preferences
    assert prefs is not None and prefs.channels_off == ["email"]
    assert choices(ports) == {("coupon", "vip"): {"choice_channels": 1}}


def test_unsubscribe_all_withdraws_consent_suppresses_every_address_and_counts_unsubscribed() -> None:
    ports = Ports(MemoryActivity(user()))
    chosen = apply_preferences(claim(), PreferenceRequest("unsubscribe_all"), ports, FEWER, NOW)
    assert chosen.changed and set(stored(ports).consent.values()) == {False}
    assert ports.suppression.addresses == {"email#u1@mail.example.com", "sms#+14155550101"}
    assert choices(ports) == {("coupon", "vip"): {"choice_unsubscribe_all": 1, "unsubscribed": 1}}
    apply_preferences(claim(), PreferenceRequest("unsubscribe_all"), ports, FEWER, NOW)
    assert choices(ports) == {("coupon", "vip"): {"choice_unsubscribe_all": 1, "unsubscribed": 1}}


def test_a_link_from_a_campaign_the_user_is_no_longer_in_counts_under_the_default_segment() -> None:
    moved = user(assignment=None)
    ports = Ports(MemoryActivity(moved))
    apply_preferences(claim(arm="no-coupon"), PreferenceRequest("fewer"), ports, FEWER, NOW)
    assert choices(ports) == {("no-coupon", "all"): {"choice_fewer": 1}}


def test_a_reason_is_recorded_with_or_without_a_choice() -> None:
    ports = Ports(MemoryActivity(user()))
    chosen = apply_preferences(claim(), PreferenceRequest("pause_30", reason="too_many_messages"), ports, FEWER, NOW)
    assert chosen.answered is not None and chosen.profile is not None
    assert chosen.profile.preferences is not None and chosen.profile.preferences.paused_until is not None
    assert ports.reasons.get("u1", CAMPAIGN, EPISODE) == StoredAnswer(reason="too_many_messages", segment="vip")
    only_reason = apply_preferences(claim(), PreferenceRequest(reason="privacy"), ports, FEWER, NOW)
    assert only_reason.profile is not None and set(only_reason.profile.consent.values()) == {False}


def test_an_unknown_user_changes_nothing() -> None:
    ports = Ports(MemoryActivity())
    chosen = apply_preferences(claim(), PreferenceRequest("fewer"), ports, FEWER, NOW)
    assert chosen.profile is None and not chosen.changed and not ports.messaging.cells


def test_the_form_is_read_strictly() -> None:
    assert parse_form({"token": ["t"], "choice": ["fewer"]}) == PreferenceRequest("fewer")
    channels = parse_form({"choice": ["channels"], "channel": ["sms", "email"]})
    assert channels.keep == {"email", "sms"}
    assert parse_form({"choice": ["channels"]}).keep == frozenset()
    assert parse_form({"reason": ["forgot"]}) == PreferenceRequest(reason="forgot")
    for bad in (
        {},
        {"token": ["t"]},
        {"choice": ["delete_everything"]},
        {"choice": ["fewer", "pause_30"]},
        {"choice": ["channels"], "channel": ["fax"]},
        {"reason": ["<script>"]},
    ):
        with pytest.raises(FormNotUnderstood):
            parse_form(bad)
