"""The preference page's POST: a user's choice (fewer messages, a pause, channels, unsubscribe from
all) written to their profile at once, counted in the report of the campaign whose message carried
the link, and optionally their reason for it (the question email's answers, recorded the same way).

A choice is counted when it changes what is stored, so a form posted twice counts once. "Unsubscribe
from all" also suppresses every address (as one-click unsubscribe does per channel) and counts as
`unsubscribed` once, like the one-click link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from winback.config.campaigns import CHANNELS, ChannelName
from winback.domain.journey.addresses import address_key, contact_address
from winback.domain.journey.preferences import CHOICES, Choice, choose
from winback.domain.journey.reasons import ANSWERS
from winback.domain.links.reason_links import ReasonClaim
from winback.models.report import CHOICE_PREFIX
from winback.services.recipient.reasons import (
    MAX_WRITE_ATTEMPTS,
    Recorded,
    WriteContended,
    answer_reason,
    assigned_segment,
    write_backoff,
)

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.reason_store import ReasonStore
    from winback.domain.journey.reasons import Answer
    from winback.domain.links.preference_links import PreferenceClaim
    from winback.models.preferences import OwnCap
    from winback.models.profile import Profile


class AddressSuppressor(Protocol):
    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool: ...


class CellCounter(Protocol):
    def add_cell(
        self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]
    ) -> None: ...


class PreferencePorts(Protocol):
    """What the preference page writes (runtime.Deps provides it)."""

    @property
    def activity(self) -> ActivityStore: ...
    @property
    def suppression(self) -> AddressSuppressor: ...
    @property
    def messaging(self) -> CellCounter: ...
    @property
    def reasons(self) -> ReasonStore: ...


@dataclass(frozen=True)
class PreferenceRequest:
    """What the page posted: a choice, or only a reason, or both."""

    choice: Choice | None = None
    keep: frozenset[ChannelName] = frozenset()  # the channels left ticked, for "channels"
    reason: Answer | None = None


class FormNotUnderstood(ValueError):
    """The posted form names a choice, channel or reason the page never offers, or none at all."""


T = TypeVar("T", bound=str)


def _one_of(values: Sequence[str], allowed: Sequence[T], field: str) -> T | None:
    if not values:
        return None
    if len(values) > 1 or values[0] not in allowed:
        raise FormNotUnderstood(field)
    return next(a for a in allowed if a == values[0])


def parse_form(form: Mapping[str, Sequence[str]]) -> PreferenceRequest:
    """The page's form fields (`choice`, `channel` repeated, `reason`) as a request; raises
    FormNotUnderstood for a value the page does not offer, or a form with neither a choice nor a reason."""
    choice = _one_of(form.get("choice", ()), CHOICES, "choice")
    reason = _one_of(form.get("reason", ()), ANSWERS, "reason")
    channels = form.get("channel", ())
    if any(ch not in CHANNELS for ch in channels):
        raise FormNotUnderstood("channel")
    if choice is None and reason is None:
        raise FormNotUnderstood("choice")
    return PreferenceRequest(choice, frozenset(ch for ch in CHANNELS if ch in channels), reason)


@dataclass(frozen=True)
class Chosen:
    profile: Profile | None  # as it is now
    changed: bool
    answered: Recorded | None = None


def apply_preferences(
    claim: PreferenceClaim, request: PreferenceRequest, ports: PreferencePorts, fewer: OwnCap, now: datetime
) -> Chosen:
    """Write the user's choice and reason; safe to repeat. `fewer` is the cap the page offered."""
    profile: Profile | None = None
    changed = False
    choice = request.choice
    if choice is not None:
        before, profile, changed = _update(
            ports.activity, claim.user_id, lambda p: choose(p, choice, now, fewer, request.keep)
        )
        if choice == "unsubscribe_all" and before is not None:
            _suppress_every_address(before, claim, ports.suppression, now)
        if changed and before is not None:
            _count(claim, choice, before, ports.messaging)
    answered = None
    if request.reason is not None:
        reason_claim = ReasonClaim(
            user_id=claim.user_id,
            campaign_id=claim.campaign_id,
            episode=claim.episode,
            reason=request.reason,
            expires=claim.expires,
        )
        result = answer_reason(reason_claim, ports.activity, ports.reasons, now)
        answered, profile = result.recorded, result.profile
    if profile is None and choice is None:
        profile = ports.activity.get(claim.user_id)
    return Chosen(profile, changed, answered)


def _update(
    activity: ActivityStore, user_id: str, change: Callable[[Profile], Profile | None]
) -> tuple[Profile | None, Profile | None, bool]:
    """(the profile before, the profile now, whether it changed): `change` applied and written under
    the profile's version, re-read and re-applied when another writer got there first."""
    profile = activity.get(user_id)
    for attempt in range(MAX_WRITE_ATTEMPTS):
        updated = change(profile) if profile is not None else None
        if profile is None or updated is None:
            return profile, profile, False
        updated.version = profile.version + 1
        if activity.put(updated, expected_version=profile.version):
            return profile, updated, True
        profile = activity.get(user_id)
        write_backoff(attempt)
    raise WriteContended(f"profile of {user_id} kept changing")


def _suppress_every_address(profile: Profile, claim: PreferenceClaim, store: AddressSuppressor, now: datetime) -> None:
    """As one-click unsubscribe does for its channel, for every channel the user has an address on."""
    for channel in CHANNELS:
        address = contact_address(channel, profile)
        if address:
            store.suppress(address_key(channel, address), "unsubscribe", f"campaign:{claim.campaign_id}", now)


def _count(claim: PreferenceClaim, choice: Choice, before: Profile, messaging: CellCounter) -> None:
    """The choice in the arm of the message that carried the link, under the user's segment; leaving
    all also counts as `unsubscribed`, in the cell the one-click link counts it in."""
    segment = assigned_segment(before, claim.campaign_id)
    messaging.add_cell(claim.campaign_id, None, claim.arm, segment, {CHOICE_PREFIX + choice: 1})
    a = before.assignment
    if choice == "unsubscribe_all" and a is not None and a.campaign_id == claim.campaign_id:
        messaging.add_cell(a.campaign_id, None, a.arm, a.segment, {"unsubscribed": 1})
