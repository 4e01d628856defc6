"""Applying live events to profiles: one conditional write per user, each request and event counted once.

`apply_events` (POST /events): each user's profile is written with a (user, request) marker in one
transaction, so a request retried after a partial failure completes without counting anything twice;
a profile that already holds the request's `batch_id` is left alone without a write.

`apply_calls` (POST /events/segment): events that name themselves (Segment's type and messageId) are
written with one marker per (user, call) in the profile's transaction (`calls`), whatever request
they arrive in. When the events reactivate a user assigned to a campaign (or bring revenue in its
window, or redeem its coupon), the assignment is updated in the same write and counted once that
write succeeded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from winback.adapters.activity_store import Applied
from winback.domain.journey.merge import merge_events
from winback.domain.measurement.attribution import Attribution, attribute
from winback.models.profile import Profile
from winback.services.ingest.coupons import CouponRedeemer, coupon_counts, redeem_coupons
from winback.services.privacy.tombstone import count_dropped

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.models.coupons import Redemption
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


def _by_user(events: Sequence[ActivityEvent]) -> dict[str, list[ActivityEvent]]:
    grouped: dict[str, list[ActivityEvent]] = {}
    for event in events:
        grouped.setdefault(event.user_id, []).append(event)
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
class ProfileWrite:
    profile: Profile
    attribution: Attribution | None


@dataclass(frozen=True)
class LiveDoor:
    """What every live request (the webhook's events, Segment's calls) is applied with: the store, the
    dormancy signal, the attribution rules and where an attribution is counted, the coupons to redeem,
    and the clock (None: the system's)."""

    store: ActivityStore
    signal: str
    rules: AttributionRules
    record: Callable[[Attribution], None]
    coupons: CouponRedeemer
    now: datetime | None = None

    def at(self) -> datetime:
        return self.now or datetime.now(UTC)


@dataclass(frozen=True)
class LiveRequest:
    """One request's events, applied user by user."""

    batch_id: str
    door: LiveDoor
    redemptions: Mapping[str, list[tuple[ActivityEvent, Redemption]]]

    def write_for(self, base: Profile, todo: list[ActivityEvent]) -> ProfileWrite:
        """The profile after `todo`, with the attribution they bring."""
        merged = merge_events(base, todo, self.batch_id, self.door.signal)
        merged.version = base.version + 1
        found = _attribution(base.assignment, todo, self.redemptions.get(base.user_id, []), self.door.rules)
        if found is not None:
            merged.assignment = found.assignment
        return ProfileWrite(merged, found)

    def written(self, write: ProfileWrite, tally: Counter[str]) -> None:
        if write.attribution is not None:
            self.door.record(write.attribution)
            tally["reactivated"] += write.attribution.counts["reactivated"]

    def apply_user(
        self, user_id: str, events: list[ActivityEvent], current: Profile | None, tally: Counter[str]
    ) -> None:
        """Write the user's events under the profile's version, re-reading it after a conflict."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            base = current or Profile(user_id=user_id)
            if self.batch_id in base.recent_batches:
                tally["already_applied"] += 1
                return
            write = self.write_for(base, events)
            outcome = self.door.store.put_applying(write.profile, base.version, self.batch_id, self.door.at())
            if outcome is Applied.ALREADY:
                tally["already_applied"] += 1
                return
            if outcome is Applied.ERASED:
                tally["erased"] += len(events)
                return
            if outcome is Applied.WRITTEN:
                tally["applied"] += 1
                self.written(write, tally)
                return
            current = self.door.store.get(user_id)
        raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")


def apply_events(events: Sequence[ActivityEvent], batch_id: str, door: LiveDoor) -> IngestResult:
    """One conditional write per user, with the (user, request) marker (see the module docstring);
    `record` counts an attribution once its write succeeded. Coupons are redeemed first: exactly once
    per code, and a rejected code (expired, used, another user's) is counted and logged while the
    order itself still counts."""
    redemptions: Redemptions = redeem_coupons(events, batch_id, door.coupons)
    by_user = _by_user(events)
    profiles = door.store.get_many(by_user)
    request = LiveRequest(batch_id, door, redemptions)
    tally: Counter[str] = Counter()
    for user_id, user_events in by_user.items():
        request.apply_user(user_id, user_events, profiles.get(user_id), tally)
    return IngestResult(
        events=len(events),
        users=len(by_user),
        applied=tally["applied"],
        already_applied=tally["already_applied"],
        reactivated=tally["reactivated"],
        **coupon_counts(redemptions),
        erased=count_dropped(tally["erased"]),
    )
