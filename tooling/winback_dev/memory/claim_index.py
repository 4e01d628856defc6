"""The sweeper's view of the in-memory MessagingTable (adapters/claim_index.py's ClaimIndexStore,
without DynamoDB): every claim in time order from a cursor, each claim's standing, and giving back a
claim whose release failed."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from winback.models.send_state import ClaimRecord, OpenClaim, SendStatus
from winback_dev.memory.messaging import InMemoryMessaging
from winback_dev.memory.stores import InMemoryDeferrals

if TYPE_CHECKING:
    from winback.models.send_context import ParkedJob

# Sorts after every user id and send key: the upper bound of a time in the claim log.
_LAST = "\U0010ffff"
_PAGE = 100


@dataclass
class InMemoryClaimIndex:
    """ClaimIndexStore in memory (one shard): the claim log read from a cursor, each claim's
    standing, and giving back a claim whose release failed (the resend parked in `deferrals`)."""

    messaging: InMemoryMessaging
    deferrals: InMemoryDeferrals
    shards: int = 1
    cursors: dict[int, float] = field(default_factory=dict)

    def cursor(self, shard: int) -> float | None:
        return self.cursors.get(shard)

    def save_cursor(self, shard: int, claimed_at: float) -> None:
        self.cursors[shard] = claimed_at

    def claimed(self, shard: int, since: float, until: float) -> Iterator[list[tuple[float, list[OpenClaim]]]]:
        log = self.messaging.claim_log
        i = bisect.bisect_left(log, (since, "", ""))
        end = bisect.bisect_right(log, (until, _LAST, _LAST))
        while i < end:
            page = []
            for at, user_id, key in log[i : min(i + _PAGE, end)]:
                note = self.messaging.read_state(user_id).notes.get(key)
                page.append((at, [OpenClaim(user_id, key, note)] if note is not None else []))
            i += _PAGE
            yield page

    def records(self, claims: Sequence[OpenClaim]) -> dict[tuple[str, str], ClaimRecord]:
        m = self.messaging
        return {
            (c.user_id, c.key): ClaimRecord(
                claimed=m.read_state(c.user_id).ledger.get(c.key) == c.claimed_at,
                status=m.record_status(c.user_id, c.key),
                accepted_message_id=m.accepted.get((c.user_id, c.key)),
            )
            for c in claims
        }

    def complete_release(self, claim: OpenClaim, resend: ParkedJob) -> bool:
        m = self.messaging
        state = m.read_state(claim.user_id)
        if state.ledger.get(claim.key) != claim.claimed_at:
            return False
        if m.record_status(claim.user_id, claim.key) != SendStatus.RELEASED:
            return False
        m._write_state(claim.user_id, state.released(claim.key))
        m.drop_record(claim.user_id, claim.key)
        self.deferrals.park(resend)
        return True
