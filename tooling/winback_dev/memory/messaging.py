"""The MessagingTable as the sender and the feedback use it, in memory (adapters/messaging_store.py's
MessagingStore, without DynamoDB: services/send/ports.py's SendLedger and services/feedback/ports.py's
FeedbackLedger); the sweeper's view of it is claim_index.py."""

from __future__ import annotations

import bisect
import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from winback.models.send_state import TERMINAL, Claim, ClaimNote, Outcome, SendState, SendStatus, SmsCell


@dataclass
class InMemoryMessaging:
    """Send states, outcome records, SES's `Send` events, counters, answers, campaign pauses; and
    every claim in time order, the sweeper's index. Where states and records are kept is five methods
    (`read_state`, `_write_state`, `record`, `record_status`, `drop_record`): a compact store
    overrides those."""

    states: dict[str, SendState] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    accepted: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, send key) -> message id
    cells: dict[tuple[str, int | None, str, str], Counter[str]] = field(default_factory=dict)
    totals: dict[str, Counter[str]] = field(default_factory=dict)
    answers: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    paused_campaigns: set[str] = field(default_factory=set)
    # The stack's sending switch: on here (a deployed stack starts with it off; tests turn it off).
    sending_on: bool = True
    claims: int = 0  # successful claims, for the tests
    claim_log: list[tuple[float, str, str]] = field(default_factory=list)  # (claimed at, user, send key)
    seen: set[tuple[str, str]] = field(default_factory=set)  # facts counted once: (kind, fact id)
    soft_bounces: dict[str, set[str]] = field(default_factory=dict)  # address -> feedback ids counted
    sms_cells: dict[str, SmsCell] = field(default_factory=dict)  # a sent text's cell by its message id

    # --- where states and records are kept ------------------------------------------------------
    def read_state(self, user_id: str) -> SendState:
        return copy.deepcopy(self.states.get(user_id, SendState()))

    def _write_state(self, user_id: str, state: SendState) -> None:
        self.states[user_id] = state

    def record(self, outcome: Outcome) -> None:
        self.outcomes[(outcome.user_id, outcome.key)] = outcome

    def record_status(self, user_id: str, key: str) -> SendStatus | None:
        found = self.outcomes.get((user_id, key))
        return None if found is None else found.status

    def drop_record(self, user_id: str, key: str) -> None:
        self.outcomes.pop((user_id, key), None)

    # --- the sender's part (ports.SendLedger) -----------------------------------------------------
    def claim(
        self,
        user_id: str,
        key: str,
        channel: str,
        state: SendState,
        live_slots: Mapping[str, int],
        now: datetime,
        note: ClaimNote,
        also: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Claim:
        """MessagingStore.claim: written only if the stored state is still the version read (an erased
        state has no version: no claim holds on it)."""
        stored = self.read_state(user_id)
        if stored.erased or stored.version != state.version:
            return Claim.STATE_CHANGED
        self._write_state(user_id, state.claimed(key, channel, live_slots, now, note, also))
        self.claims += 1
        bisect.insort(self.claim_log, (now.timestamp(), user_id, key))
        return Claim.CLAIMED

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        state = self.read_state(user_id)
        if state.erased:  # MessagingStore.release's condition: nothing to give back
            return
        self._write_state(user_id, state.released(key))

    def add_cell(self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]) -> None:
        self.cells.setdefault((campaign_id, step, arm, segment), Counter()).update(counts)

    def add_totals(self, campaign_id: str, counts: Mapping[str, int]) -> dict[str, int]:
        totals = self.totals.setdefault(campaign_id, Counter())
        totals.update(counts)
        return dict(totals)

    @property
    def counted(self) -> Counter[tuple[str, int | None, str, str, str]]:
        """Every cell's counters, flat: (campaign, step, arm, segment, counter) -> n."""
        return Counter({(*cell, name): n for cell, counts in self.cells.items() for name, n in counts.items()})

    def counters(self, campaign_id: str, step: int) -> Counter[str]:
        """A step's counters, summed over arms and segments (MessagingStore.counters, for one step)."""
        out: Counter[str] = Counter()
        for (campaign, s, _, _), counts in self.cells.items():
            if campaign == campaign_id and s == step:
                out.update(counts)
        return out

    # --- the feedback's part (services/feedback/ports.FeedbackLedger) ----------------------------
    def record_accepted(self, user_id: str, key: str, message_id: str, now: datetime) -> None:
        self.accepted[(user_id, key)] = message_id

    def first_time(self, kind: str, fact_id: str, now: datetime, keep: timedelta = timedelta(days=14)) -> bool:
        first = (kind, fact_id) not in self.seen
        self.seen.add((kind, fact_id))
        return first

    def pause(self, campaign_id: str, reason: str, now: datetime) -> bool:
        """True if this call paused the campaign (MessagingStore.pause: it was running)."""
        first = campaign_id not in self.paused_campaigns
        self.paused_campaigns.add(campaign_id)
        return first

    def count_soft_bounce(self, address: str, feedback_id: str, now: datetime, window: timedelta) -> int | None:
        """The address's transient bounces so far, None when this feedback id was counted (the window is
        the store's TTL: it never lapses in memory)."""
        counted = self.soft_bounces.setdefault(address, set())
        if feedback_id in counted:
            return None
        counted.add(feedback_id)
        return len(counted)

    def sms_cell(self, message_id: str) -> SmsCell | None:
        return self.sms_cells.get(message_id)

    # --- the Records port's part (InMemoryDeferrals.write) --------------------------------------
    def refused(self, outcomes: Sequence[Outcome]) -> frozenset[tuple[str, str]]:
        """The outcomes whose claim already has a terminal record (SendRecords' condition)."""
        return frozenset((o.user_id, o.key) for o in outcomes if self.record_status(o.user_id, o.key) in TERMINAL)
