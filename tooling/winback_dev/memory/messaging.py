"""The MessagingTable as the sender and the sweeper use it, in memory (adapters/messaging_store.py's
MessagingStore, without DynamoDB)."""

from __future__ import annotations

import bisect
import copy
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from winback.models.send_state import (
    LEDGER_TTL,
    SWEEP_LOOKBACK,
    Claim,
    OpenClaim,
    Outcome,
    SendState,
    SendStatus,
    parse_send_key,
)

# Sorts after every user id: the upper bound of a time in the claim log.
_LAST = "\U0010ffff"


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


@dataclass
class InMemoryMessaging:
    """Send states, outcomes, counters, answers, campaign pauses; and every claim in time order, the
    sweeper's index. Where states and outcomes are kept is four methods (`read_state`, `_write_state`,
    `record`, `has_outcome`): a compact store overrides those."""

    states: dict[str, SendState] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    cells: dict[tuple[str, int | None, str, str], Counter[str]] = field(default_factory=dict)
    totals: dict[str, Counter[str]] = field(default_factory=dict)
    answers: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    paused_campaigns: set[str] = field(default_factory=set)
    # The stack's sending switch: on here (a deployed stack starts with it off; tests turn it off).
    sending_on: bool = True
    claims: int = 0  # successful claims, for the tests
    claim_log: list[tuple[float, str, str]] = field(default_factory=list)  # (claimed at, user, send key)

    # --- where states and outcomes are kept ---------------------------------------------------------
    def read_state(self, user_id: str) -> SendState:
        return copy.deepcopy(self.states.get(user_id, SendState()))

    def _write_state(self, user_id: str, state: SendState) -> None:
        self.states[user_id] = state

    def record(self, outcome: Outcome) -> None:
        self.outcomes[(outcome.user_id, outcome.key)] = outcome

    def has_outcome(self, user_id: str, key: str) -> bool:
        return (user_id, key) in self.outcomes

    # --- the sender's part (ports.SendLedger) -----------------------------------------------------
    def claim(
        self,
        user_id: str,
        key: str,
        channel: str,
        state: SendState,
        live_slots: Mapping[str, int],
        now: datetime,
        cell: tuple[str, str] = ("-", "-"),
        also: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Claim:
        """MessagingStore.claim: written only if the stored state is still the version read."""
        if self.read_state(user_id).version != state.version:
            return Claim.STATE_CHANGED
        cutoff, recent, at = _epoch(now - LEDGER_TTL), _epoch(now - SWEEP_LOOKBACK), _epoch(now)
        ledger = {k: t for k, t in state.ledger.items() if t > cutoff} | {key: at}
        caps = {**copy.deepcopy(state.caps), channel: {**live_slots, key: at}}
        caps |= {scope: {**slots, key: at} for scope, slots in (also or {}).items()}
        cells = {k: c for k, c in state.cells.items() if ledger.get(k, 0) > recent} | {key: "|".join(cell)}
        self._write_state(user_id, SendState(state.version + 1, ledger, caps, cells))
        self.claims += 1
        self.claim_log.append((now.timestamp(), user_id, key))
        return Claim.CLAIMED

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        state = self.read_state(user_id)
        state.ledger.pop(key, None)
        for scope in (channel, *also):
            state.caps.get(scope, {}).pop(key, None)
        state.cells.pop(key, None)
        state.version += 1
        self._write_state(user_id, state)

    def add_cell(self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]) -> None:
        self.cells.setdefault((campaign_id, step, arm, segment), Counter()).update(counts)

    def add_totals(self, campaign_id: str, counts: Mapping[str, int]) -> dict[str, int]:
        totals = self.totals.setdefault(campaign_id, Counter())
        totals.update(counts)
        return dict(totals)

    def counters(self, campaign_id: str, step: int) -> Counter[str]:
        """A step's counters, summed over arms and segments (MessagingStore.counters, for one step)."""
        out: Counter[str] = Counter()
        for (campaign, s, _, _), counts in self.cells.items():
            if campaign == campaign_id and s == step:
                out.update(counts)
        return out

    # --- the sweeper's part (services/sweep.py) ---------------------------------------------------
    def claims_between(self, since: datetime, until: datetime) -> Iterator[OpenClaim]:
        """The claims made in [since, until] still in their user's ledger (the log is in time order)."""
        lo = bisect.bisect_left(self.claim_log, (since.timestamp(), "", ""))
        hi = bisect.bisect_right(self.claim_log, (until.timestamp(), _LAST, ""))
        for at, user_id, key in self.claim_log[lo:hi]:
            state = self.read_state(user_id)
            if key in state.ledger:
                arm, _, segment = state.cells.get(key, "-|-").partition("|")
                yield OpenClaim(user_id, key, int(at), arm, segment)

    def outcomes_known(self, claims: Iterable[OpenClaim]) -> set[tuple[str, str]]:
        return {(c.user_id, c.key) for c in claims if self.has_outcome(c.user_id, c.key)}

    def record_uncertain(self, claim: OpenClaim, now: datetime) -> bool:
        """MessagingStore.record_uncertain: False when an outcome arrived meanwhile."""
        if self.has_outcome(claim.user_id, claim.key):
            return False
        campaign_id, step, _ = parse_send_key(claim.key)
        swept = Outcome(
            claim.user_id,
            claim.key,
            SendStatus.UNCERTAIN,
            campaign_id,
            step,
            claim.arm,
            claim.segment,
            at=now,
            error="no outcome recorded (swept)",
        )
        self.record(swept)
        return True
