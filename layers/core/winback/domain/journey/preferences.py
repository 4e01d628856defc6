"""The preference page's choices and how the send guards honour them (pure).

A user may: get fewer messages (their own cap over every channel, below the program's), pause
everything for 30 or 90 days, turn channels off (and back on), or unsubscribe from every channel.
Each choice changes the profile at once, and the next send reads it:

- a pause holds the message until the pause ends (guards.py);
- a channel turned off is never chosen (`reachable_channels` in targeting.py);
- the own cap is claimed with the ledger entry (claim.py), against every claim in the user's ledger
  inside its window, so history from before the choice counts too;
- unsubscribing from all withdraws consent on every channel (and the service suppresses each address).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal, get_args

from winback.config.campaigns import CHANNELS, ChannelName
from winback.domain.journey.addresses import contact_address, has_consent
from winback.models.preferences import OwnCap, Preferences
from winback.models.profile import Profile

Choice = Literal["fewer", "usual", "pause_30", "pause_90", "resume", "channels", "unsubscribe_all"]
CHOICES: tuple[Choice, ...] = get_args(Choice)
PAUSE_DAYS: Mapping[Choice, int] = {"pause_30": 30, "pause_90": 90}
PAUSE_SLACK = timedelta(days=1)


def paused_until(profile: Profile, now: datetime) -> datetime | None:
    """When the user's pause ends, while it lasts (None: not paused)."""
    prefs = profile.preferences
    until = prefs.paused_until if prefs is not None else None
    return until if until is not None and until > now else None


def channel_allowed(profile: Profile, channel: ChannelName) -> bool:
    """False for a channel the user turned off on the preference page."""
    prefs = profile.preferences
    return prefs is None or channel not in prefs.channels_off


def choosable_channels(profile: Profile) -> list[ChannelName]:
    """The channels the page lets the user turn on or off: those they consented to and we have an
    address for (a preference never grants a consent)."""
    return [ch for ch in CHANNELS if has_consent(ch, profile) and contact_address(ch, profile)]


def own_cap_room_at(profile: Profile, ledger: Mapping[str, int], now: datetime) -> datetime | None:
    """When the user's own cap lets one more message through (None: it does now, or they have none).
    Every claim in the ledger inside the window counts, on any channel and from any campaign."""
    cap = profile.preferences.cap if profile.preferences is not None else None
    if cap is None:
        return None
    cutoff = now.timestamp() - cap.window_days * 86_400
    live = sorted(at for at in ledger.values() if at > cutoff)
    if len(live) < cap.max_messages:
        return None
    # The slot that must leave the window before one more fits: the (len - max + 1)-th oldest.
    oldest_to_leave = live[len(live) - cap.max_messages]
    return datetime.fromtimestamp(oldest_to_leave, now.tzinfo) + timedelta(days=cap.window_days, seconds=1)


def choose(
    profile: Profile, choice: Choice, now: datetime, fewer: OwnCap, keep: Collection[ChannelName] = ()
) -> Profile | None:
    """The profile after `choice` (a copy), or None when the choice changes nothing. `fewer` is the cap
    the program offers; `keep` the channels left on when the choice is "channels"."""
    prefs = (profile.preferences or Preferences()).model_copy(deep=True)
    if choice == "unsubscribe_all":
        return _withdraw_every_consent(profile, now)
    if choice == "fewer":
        prefs.cap = fewer
    elif choice == "usual":
        prefs.cap = None
    elif choice in PAUSE_DAYS:
        prefs.paused_until = now + timedelta(days=PAUSE_DAYS[choice])
    elif choice == "resume":
        prefs.paused_until = None
    else:
        prefs.channels_off = _channels_off(profile, prefs.channels_off, keep)
    if _same(prefs, profile.preferences, now):
        return None
    updated = profile.model_copy(deep=True)
    prefs.updated_at = now
    updated.preferences = prefs
    return updated


def _channels_off(profile: Profile, off: Iterable[str], keep: Collection[ChannelName]) -> list[str]:
    """The channels the page showed and the user left unticked, plus those it did not show that were
    already off (a channel without an address stays as it was)."""
    shown = choosable_channels(profile)
    return sorted({ch for ch in off if ch not in shown} | {ch for ch in shown if ch not in keep})


def _same(prefs: Preferences, before: Preferences | None, now: datetime) -> bool:
    """Whether `prefs` says what `before` said: a pause that already ended counts as none, and two
    pauses ending within a day of each other as one (a form posted twice changes nothing)."""
    old = before or Preferences()
    return prefs.cap == old.cap and prefs.channels_off == old.channels_off and _same_pause(prefs, old, now)


def _same_pause(a: Preferences, b: Preferences, now: datetime) -> bool:
    ends = [p.paused_until if p.paused_until is not None and p.paused_until > now else None for p in (a, b)]
    if ends[0] is None or ends[1] is None:
        return ends[0] is ends[1]
    return abs(ends[0] - ends[1]) < PAUSE_SLACK


def _withdraw_every_consent(profile: Profile, now: datetime) -> Profile | None:
    if all(profile.consent.get(channel) is False for channel in CHANNELS):
        return None
    updated = profile.model_copy(deep=True)
    for channel in CHANNELS:
        if updated.consent.get(channel) is not False:
            updated.consent[channel] = False
            updated.updated_at[f"consent.{channel}"] = now
    return updated
