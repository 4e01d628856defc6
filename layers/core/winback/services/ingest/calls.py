"""Applying calls that name themselves (Segment's type and messageId): each once per user, whatever
request it arrives in and however many other calls came between.

Each call has a marker, (user, hashed type and messageId), written in the transaction that writes
the user's profile (`ActivityStore.put_marking_calls`): a marker already there cancels the write,
and its call is dropped as a duplicate before the rest is written again. The marker keeps a digest
of what the call stated, so a later call that reuses a messageId with something else to say is
told apart from a resend: it is dropped too (the first statement stands) and counted as
`message_id_reused`. Markers expire after `CALL_MARKER_TTL`.

A user's calls go CALLS_PER_WRITE at a time (a transaction holds at most 100 items on AWS, 25 on
moto): the profile is written once per chunk, each write conditional on the version it read.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from winback.adapters.activity_store import Applied, CallMark
from winback.models.profile import Profile
from winback.services.ingest.apply import (
    MAX_WRITE_ATTEMPTS,
    LiveDoor,
    LiveRequest,
    ProfileContention,
    ProfileWrite,
)
from winback.services.ingest.coupons import coupon_counts, redeem_coupons
from winback.services.privacy.tombstone import count_dropped

if TYPE_CHECKING:
    from winback.models.events import ActivityEvent

# Markers per transaction beside the profile: moto caps TransactWriteItems at 25 items.
CALLS_PER_WRITE = 24


def call_marker(key: str) -> str:
    """A call's marker name: a hash of its type and messageId (bounded whatever the sender's ids)."""
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def statement_digest(event: ActivityEvent) -> str:
    """What a call states, as winback applies it (fields winback ignores do not count)."""
    return hashlib.blake2b(event.model_dump_json().encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Call:
    """One call to apply: its event, its dedupe key (`track:<messageId>`) and its place in the request."""

    event: ActivityEvent
    key: str
    index: int
    mark: CallMark = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mark", CallMark(call_marker(self.key), statement_digest(self.event)))


@dataclass(frozen=True)
class CallsResult:
    events: int
    users: int
    applied: int
    already_applied: int
    duplicates: int
    message_id_reused: int
    reactivated: int = 0
    coupons_redeemed: int = 0
    coupons_rejected: int = 0
    reused_at: tuple[int, ...] = ()  # the request positions of the calls that reused a messageId
    erased: int = 0  # calls of erased users, dropped (services/privacy/tombstone.py)

    def counts(self) -> dict[str, int]:
        # `erased` only when an erased user's calls were dropped, as POST /events replies
        return {k: v for k, v in asdict(self).items() if isinstance(v, int) and (k != "erased" or v)}


@dataclass
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    reused_at: list[int] = field(default_factory=list)

    def duplicate(self, call: Call, stored_digest: str | None) -> None:
        """A call whose marker was there: a resend, or a messageId reused for another statement."""
        self.counts["duplicates"] += 1
        if stored_digest is not None and stored_digest != call.mark.digest:
            self.counts["message_id_reused"] += 1
            self.reused_at.append(call.index)


def _distinct(calls: Sequence[Call], tally: _Tally) -> dict[str, list[Call]]:
    """Each user's calls, a call twice in the request kept once (the first)."""
    by_user: dict[str, dict[str, Call]] = {}
    for call in calls:
        mine = by_user.setdefault(call.event.user_id, {})
        first = mine.get(call.mark.marker)
        if first is None:
            mine[call.mark.marker] = call
        else:
            tally.duplicate(call, first.mark.digest)
    return {user: list(mine.values()) for user, mine in by_user.items()}


@dataclass
class _UserCalls:
    """One user's calls, written a chunk at a time."""

    request: LiveRequest
    tally: _Tally
    base: Profile
    pending: list[Call]
    written: bool = False

    def _write(self, chunk: list[Call]) -> tuple[ProfileWrite, Applied, dict[str, str]]:
        write = self.request.write_for(self.base, [c.event for c in chunk])
        if self.written:  # the request's id went into recent_batches with the first chunk
            write.profile.recent_batches = self.base.recent_batches
        outcome, seen = self.request.door.store.put_marking_calls(
            write.profile, self.base.version, [c.mark for c in chunk], self.request.door.at()
        )
        return write, outcome, seen

    def _drop(self, seen: dict[str, str]) -> None:
        for call in self.pending:
            if call.mark.marker in seen:
                self.tally.duplicate(call, seen[call.mark.marker])
        self.pending = [c for c in self.pending if c.mark.marker not in seen]

    def run(self) -> None:
        conflicts = 0
        while self.pending:
            chunk = self.pending[:CALLS_PER_WRITE]
            write, outcome, seen = self._write(chunk)
            if outcome is Applied.WRITTEN:
                self.request.written(write, self.tally.counts)
                self.base, self.pending, self.written = write.profile, self.pending[len(chunk) :], True
            elif outcome is Applied.ALREADY:
                self._drop(seen)
            elif outcome is Applied.ERASED:
                self.tally.counts["erased"] += len(self.pending)
                return
            else:
                conflicts += 1
                if conflicts >= MAX_WRITE_ATTEMPTS:
                    raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")
                self.base = self.request.door.store.get(self.base.user_id) or Profile(user_id=self.base.user_id)
        self.tally.counts["applied" if self.written else "already_applied"] += 1


def apply_calls(calls: Sequence[Call], batch_id: str, door: LiveDoor) -> CallsResult:
    """Apply each call once per user (see the module docstring). Coupons are redeemed first, once per
    code and order call; a profile that already holds this request's `batch_id` (the same body
    again) is left alone without a write."""
    events = [c.event for c in calls]
    redemptions = redeem_coupons(events, batch_id, door.coupons, [c.key for c in calls])
    tally = _Tally()
    by_user = _distinct(calls, tally)
    profiles = door.store.get_many(by_user)
    request = LiveRequest(batch_id, door, redemptions)
    for user_id, mine in by_user.items():
        current = profiles.get(user_id)
        if current is not None and batch_id in current.recent_batches:
            tally.counts["already_applied"] += 1
            tally.counts["duplicates"] += len(mine)
            continue
        _UserCalls(request, tally, current or Profile(user_id=user_id), mine).run()
    c = tally.counts
    return CallsResult(
        events=len(calls),
        users=len(by_user),
        applied=c["applied"],
        already_applied=c["already_applied"],
        duplicates=c["duplicates"],
        message_id_reused=c["message_id_reused"],
        reactivated=c["reactivated"],
        reused_at=tuple(sorted(tally.reused_at)),
        erased=count_dropped(c["erased"]),
        **coupon_counts(redemptions),
    )
