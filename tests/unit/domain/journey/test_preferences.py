"""domain/journey/preferences.py: each choice of the preference page as a change of the profile, and the
rules the send guards read (pause, channels, the user's own cap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from winback.domain.journey.preferences import (
    CHOICES,
    Choice,
    channel_allowed,
    choosable_channels,
    choose,
    own_cap_room_at,
    paused_until,
)
from winback.domain.journey.targeting import reachable_channels
from winback.models.preferences import OwnCap, Preferences
from winback.models.profile import Profile

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
FEWER = OwnCap(max_messages=1, window_days=14)


def profile(**fields: Any) -> Profile:
    data: dict[str, Any] = {
        "user_id": "u1",
        "version": 3,
        "email": "u1@mail.example.com",
        "phone": "+14155550101",
        "consent": {"email": True, "sms": True},
    }
    return Profile.model_validate(data | fields)


def test_fewer_sets_the_programs_cap_and_usual_lifts_it() -> None:
    fewer = choose(profile(), "fewer", NOW, FEWER)
    assert fewer is not None and fewer.preferences is not None and fewer.preferences.cap == FEWER
    assert fewer.preferences.updated_at == NOW
    usual = choose(fewer, "usual", NOW, FEWER)
    assert usual is not None and usual.preferences is not None and usual.preferences.cap is None


def test_a_pause_lasts_30_or_90_days_and_resume_ends_it() -> None:
    pauses: tuple[tuple[Choice, int], ...] = (("pause_30", 30), ("pause_90", 90))
    for choice, days in pauses:
        paused = choose(profile(), choice, NOW, FEWER)
        assert paused is not None and paused_until(paused, NOW) == NOW + timedelta(days=days)
        assert paused_until(paused, NOW + timedelta(days=days)) is None  # over at its end
    paused = choose(profile(), "pause_30", NOW, FEWER)
    assert paused is not None
    resumed = choose(paused, "resume", NOW, FEWER)
    assert resumed is not None and paused_until(resumed, NOW) is None


def test_the_same_choice_twice_changes_nothing_the_second_time() -> None:
    """A form posted twice (a double click, a back button) is counted once: `choose` answers None."""
    repeated: tuple[Choice, ...] = ("fewer", "pause_30", "pause_90")
    for choice in repeated:
        once = choose(profile(), choice, NOW, FEWER)
        assert once is not None
        assert choose(once, choice, NOW + timedelta(minutes=5), FEWER) is None
    assert choose(profile(), "usual", NOW, FEWER) is None
    assert choose(profile(), "resume", NOW, FEWER) is None
    assert choose(profile(), "channels", NOW, FEWER, keep={"email", "sms"}) is None


def test_a_longer_pause_replaces_a_shorter_one() -> None:
    short = choose(profile(), "pause_30", NOW, FEWER)
    assert short is not None
    long = choose(short, "pause_90", NOW, FEWER)
    assert long is not None and paused_until(long, NOW) == NOW + timedelta(days=90)


def test_channels_turns_off_what_is_unticked_and_back_on_what_is_ticked() -> None:
    user = profile()
    assert choosable_channels(user) == ["email", "sms"]
    email_only = choose(user, "channels", NOW, FEWER, keep={"email"})
    assert email_only is not None and email_only.preferences is not None
    assert email_only.preferences.channels_off == ["sms"]
    assert not channel_allowed(email_only, "sms") and channel_allowed(email_only, "email")
    assert reachable_channels(("sms", "email"), email_only) == [("email", "u1@mail.example.com")]
    both = choose(email_only, "channels", NOW, FEWER, keep={"email", "sms"})
    assert both is not None and both.preferences is not None and both.preferences.channels_off == []


def test_a_preference_never_grants_a_consent() -> None:
    """Push has no consent and no endpoint, inbox no login: neither is offered, ticking them does nothing."""
    user = profile()
    updated = choose(user, "channels", NOW, FEWER, keep={"email", "push", "inbox"})
    assert updated is not None and updated.consent == user.consent
    assert reachable_channels(("push", "inbox", "email"), updated) == [("email", "u1@mail.example.com")]


def test_a_channel_turned_off_stays_off_while_it_is_not_shown() -> None:
    """Turned off, then the phone number went away: the next save of channels keeps SMS off."""
    off = choose(profile(), "channels", NOW, FEWER, keep={"email"})
    assert off is not None
    no_phone = off.model_copy(update={"phone": None})
    again = choose(no_phone, "channels", NOW, FEWER, keep=set())
    assert again is not None and again.preferences is not None and again.preferences.channels_off == ["email", "sms"]


def test_unsubscribe_all_withdraws_every_consent_once() -> None:
    left = choose(profile(), "unsubscribe_all", NOW, FEWER)
    assert left is not None and set(left.consent.values()) == {False}
    assert set(left.consent) == {"email", "sms", "push", "inbox"}
    assert left.updated_at["consent.email"] == NOW
    assert choose(left, "unsubscribe_all", NOW, FEWER) is None


def test_every_choice_is_handled() -> None:
    for choice in CHOICES:
        choose(profile(), choice, NOW, FEWER, keep={"email"})


def test_own_cap_counts_every_claim_in_the_window_on_any_channel() -> None:
    user = profile(preferences=Preferences(cap=OwnCap(max_messages=2, window_days=7)))
    day = 86_400
    now = int(NOW.timestamp())
    assert own_cap_room_at(user, {"a#0#e": now - 8 * day}, NOW) is None  # outside the window
    assert own_cap_room_at(user, {"a#0#e": now - day}, NOW) is None  # one of two
    ledger = {"a#0#e": now - 3 * day, "b#0#e": now - day}
    room = own_cap_room_at(user, ledger, NOW)
    assert room == NOW - timedelta(days=3) + timedelta(days=7, seconds=1)
    assert own_cap_room_at(profile(), ledger, NOW) is None  # no cap chosen


@given(
    ages=st.lists(st.integers(0, 40 * 86_400), max_size=12),
    max_messages=st.integers(1, 4),
    window_days=st.integers(1, 30),
)
def test_own_cap_room_is_the_first_instant_the_window_holds_fewer_than_the_cap(
    ages: list[int], max_messages: int, window_days: int
) -> None:
    user = profile(preferences=Preferences(cap=OwnCap(max_messages=max_messages, window_days=window_days)))
    now = int(NOW.timestamp())
    ledger = {f"c#{i}#e": now - age for i, age in enumerate(ages)}

    def live(at: datetime) -> int:
        return sum(1 for t in ledger.values() if t > at.timestamp() - window_days * 86_400)

    room = own_cap_room_at(user, ledger, NOW)
    if room is None:
        assert live(NOW) < max_messages
    else:
        assert live(NOW) >= max_messages and live(room) < max_messages
        assert live(room - timedelta(seconds=2)) >= max_messages
