"""Applying live events to profiles: one conditional write per user, each request and event counted once.

A profile that already holds the request's `batch_id` is left alone, so a request retried after a
partial failure completes without counting anything twice; with `event_ids` (one per event, e.g.
Segment's messageId) an event whose id the profile already holds is skipped, whatever request it
arrives in. When the events reactivate a user assigned to a campaign (or bring revenue in its
window, or redeem its coupon), the assignment is updated in the same write and counted once that
write succeeded.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from winback.adapters.activity_store import Applied
from winback.domain.journey.merge import merge_events
from winback.domain.measurement.attribution import Attribution, attribute
from winback.models.profile import RECENT_EVENTS_CAP, Profile
from winback.services.ingest.coupons import CouponRedeemer, coupon_counts, redeem_coupons
from winback.services.privacy.tombstone import count_dropped

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.coupon_store import Redemption
    from winback.models.events import ActivityEvent
    from winback.models.profile import Assignment
    from winback.services.ingest.coupons import Redemptions

MAX_WRITE_ATTEMPTS = 5


class ProfileContention(RuntimeError):
    """A profile kept changing under us; the request fails as a whole and the sender retries it."""


@dataclass(frozen=True)
class IngestResult:
    events: int
    users: int
    applied: int
    already_applied: int
    reactivated: int = 0
    coupons_redeemed: int = 0
    coupons_rejected: int = 0
    erased: int = 0  # events of erased users, dropped (services/privacy/tombstone.py)

    def as_dict(self) -> dict[str, int]:
        # `erased` only when an erased user's events were dropped (services/privacy/tombstone.py)
        return {k: v for k, v in asdict(self).items() if k != "erased" or v}


@dataclass(frozen=True)
class AttributionRules:
    signal: str
    window_days: int


def event_key(event_id: str) -> str:
    """The short form of an event id kept on the profile (bounded size whatever the sender's ids)."""
    return hashlib.blake2b(event_id.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class _UserEvents:
    """One user's events in the request, with their keys when the sender names its events."""

    events: list[ActivityEvent]
    keys: list[str] | None

    def fresh(self, profile: Profile) -> tuple[list[ActivityEvent], list[str]]:
        """The events not applied to `profile` yet (by key; all of them without keys), and their keys.
        An event twice in the request counts once."""
        if self.keys is None:
            return self.events, []
        seen = set(profile.recent_events)
        events: list[ActivityEvent] = []
        keys: list[str] = []
        for event, key in zip(self.events, self.keys, strict=True):
            if key not in seen:
                seen.add(key)
                events.append(event)
                keys.append(key)
        return events, keys


def _by_user(events: Sequence[ActivityEvent], event_ids: Sequence[str] | None) -> dict[str, _UserEvents]:
    grouped: dict[str, _UserEvents] = {}
    for index, event in enumerate(events):
        user = grouped.setdefault(event.user_id, _UserEvents([], None if event_ids is None else []))
        user.events.append(event)
        if user.keys is not None and event_ids is not None:
            user.keys.append(event_key(event_ids[index]))
    return grouped


def _attribution(
    assignment: Assignment | None,
    applied: list[ActivityEvent],
    redemptions: list[tuple[ActivityEvent, Redemption]],
    rules: AttributionRules,
) -> Attribution | None:
    """What `applied` does for the user's campaign assignment: a reactivation, revenue, and the coupons of
    that campaign redeemed by these orders (an order resent and skipped redeems nothing here)."""
    found = attribute(assignment, applied, rules.signal, rules.window_days)
    if assignment is None:
        return found
    redeemed = sum(
        r.accepted and r.campaign_id == assignment.campaign_id and any(e is t for t in applied) for e, r in redemptions
    )
    if redeemed:
        found = found or Attribution(assignment=assignment)
        found.counts["coupons_redeemed"] += redeemed
    return found


@dataclass(frozen=True)
class _Write:
    profile: Profile
    attribution: Attribution | None


@dataclass(frozen=True)
class _Request:
    """One request's events, applied user by user."""

    batch_id: str
    store: ActivityStore
    signal: str
    rules: AttributionRules
    record: Callable[[Attribution], None]
    redemptions: Mapping[str, list[tuple[ActivityEvent, Redemption]]]
    now: datetime | None

    def write_for(self, base: Profile, user: _UserEvents) -> _Write | None:
        """The profile after the user's new events (None: nothing new for this profile)."""
        if self.batch_id in base.recent_batches:
            return None
        todo, keys = user.fresh(base)
        if not todo:  # every event applied before, or twice in this request
            return None
        merged = merge_events(base, todo, self.batch_id, self.signal)
        if user.keys is not None:
            merged.recent_events = [*keys, *base.recent_events][:RECENT_EVENTS_CAP]
        merged.version = base.version + 1
        found = _attribution(base.assignment, todo, self.redemptions.get(base.user_id, []), self.rules)
        if found is not None:
            merged.assignment = found.assignment
        return _Write(merged, found)

    def apply_user(self, user_id: str, user: _UserEvents, current: Profile | None, tally: Counter[str]) -> None:
        """Write the user's events under the profile's version, re-reading it after a conflict."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            base = current or Profile(user_id=user_id)
            write = self.write_for(base, user)
            if write is None:
                tally["already_applied"] += 1
                return
            outcome = self.store.put_applying(write.profile, base.version, self.batch_id, self.now or datetime.now(UTC))
            if outcome is Applied.ALREADY:
                tally["already_applied"] += 1
                return
            if outcome is Applied.ERASED:
                tally["erased"] += len(user.events)
                return
            if outcome is Applied.WRITTEN:
                tally["applied"] += 1
                if write.attribution is not None:
                    self.record(write.attribution)
                    tally["reactivated"] += write.attribution.counts["reactivated"]
                return
            current = self.store.get(user_id)
        raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")


def apply_events(
    events: Sequence[ActivityEvent],
    batch_id: str,
    store: ActivityStore,
    signal: str,
    attribution: AttributionRules,
    record: Callable[[Attribution], None],
    coupons: CouponRedeemer,
    now: datetime | None = None,
    event_ids: Sequence[str] | None = None,
) -> IngestResult:
    """One conditional write per user (see the module docstring); `record` counts an attribution once
    its write succeeded. Coupons are redeemed first: exactly once per code, and a rejected code
    (expired, used, another user's) is counted and logged while the order itself still counts."""
    redemptions: Redemptions = redeem_coupons(events, batch_id, coupons, event_ids)
    by_user = _by_user(events, event_ids)
    profiles = store.get_many(by_user)
    request = _Request(batch_id, store, signal, attribution, record, redemptions, now)
    tally: Counter[str] = Counter()
    for user_id, user in by_user.items():
        request.apply_user(user_id, user, profiles.get(user_id), tally)
    return IngestResult(
        events=len(events),
        users=len(by_user),
        applied=tally["applied"],
        already_applied=tally["already_applied"],
        reactivated=tally["reactivated"],
        **coupon_counts(redemptions),
        erased=count_dropped(tally["erased"]),
    )
