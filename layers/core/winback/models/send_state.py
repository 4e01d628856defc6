"""The send ledger's vocabulary: send keys, a user's send state, claims and the notes they keep,
outcome statuses and the Outcome of one send (models/bookkeeping.py writes outcomes with their
counters, all or nothing).

A send key is `<campaign>#<step>#<episode>`: one message per campaign step and dormancy episode. A
user's send state holds the ledger (send key → claimed at), the frequency-cap slots and a note per
recent claim (what the sweeper needs to finish it: the job, the cell, the channel); a claim writes
them in one conditional write before the provider is called. Every claim ends in exactly one
terminal record, written only if none exists yet (the first one wins), in the same write as its
counters: sent, failed or uncertain (the provider's answer was lost; never resent). A claim given
back (released) leaves none, or, when giving it back failed, a `released` record the sweeper acts on.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# How long a send is remembered (the ledger entry and its outcome record).
LEDGER_TTL = timedelta(days=400)
# How long a claim's note is kept in the send state: the sweeper looks no further back.
SWEEP_LOOKBACK = timedelta(days=2)
# (campaign, step or None for the campaign level, arm, segment): one experiment cell's counters.
CellKey = tuple[str, int | None, str, str]


class Claim(enum.Enum):
    """A claim's answer: written, or the send state changed since it was read (read again, retry)."""

    CLAIMED = "claimed"
    STATE_CHANGED = "state_changed"


class SendStatus(enum.StrEnum):
    """What became of a claimed send."""

    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # the provider may have accepted it: stays claimed, never resent
    # Not terminal: the send certainly did not happen, but giving the claim back failed; the sweeper
    # gives it back and parks the message to be sent again.
    RELEASED = "released"


TERMINAL = frozenset({SendStatus.SENT, SendStatus.FAILED, SendStatus.UNCERTAIN})


@dataclass(frozen=True)
class ClaimNote:
    """What a claim keeps beside its ledger entry for SWEEP_LOOKBACK: when it was made, and enough of
    its job to finish it without the job (its outcome, its counters, its next step, a resend)."""

    at: int  # claimed at, epoch seconds (as the ledger)
    arm: str = "-"
    segment: str = "-"
    run_id: str = ""
    tier: str = ""
    channel: str = ""
    template: str = ""
    not_after: str | None = None  # the step's deadline (ISO), as the job had it


@dataclass
class SendState:
    """A user's send ledger, frequency-cap slots and recent claims' notes, as read (version 0:
    nothing stored yet)."""

    version: int = 0
    ledger: dict[str, int] = field(default_factory=dict)  # send key -> claimed at (epoch seconds)
    caps: dict[str, dict[str, int]] = field(default_factory=dict)  # channel or "all" -> {send key: sent at}
    notes: dict[str, ClaimNote] = field(default_factory=dict)  # send key -> note, for recent claims
    # The user is being erased (models/erasure.py): no claim can succeed, the sender drops them.
    erased: bool = False

    def claimed(
        self,
        key: str,
        channel: str,
        live_slots: Mapping[str, int],
        now: datetime,
        note: ClaimNote,
        also: Mapping[str, Mapping[str, int]] | None = None,
    ) -> SendState:
        """The state once `key` is claimed: the ledger (entries older than LEDGER_TTL dropped), the
        channel's live cap slots and those of `also` with this send's, and the notes of the claims
        made within SWEEP_LOOKBACK with this one's."""
        at, cutoff, recent = _epoch(now), _epoch(now - LEDGER_TTL), _epoch(now - SWEEP_LOOKBACK)
        ledger = {k: t for k, t in self.ledger.items() if t > cutoff} | {key: at}
        caps = {**{s: dict(v) for s, v in self.caps.items()}, channel: {**live_slots, key: at}}
        caps |= {scope: {**slots, key: at} for scope, slots in (also or {}).items()}
        notes = {k: n for k, n in self.notes.items() if ledger.get(k, 0) > recent} | {key: note}
        return SendState(self.version + 1, ledger, caps, notes)

    def released(self, key: str) -> SendState:
        """The state once the claim of `key` is given back: its ledger entry, cap slots and note gone."""
        caps = {scope: {k: t for k, t in slots.items() if k != key} for scope, slots in self.caps.items()}
        notes = {k: n for k, n in self.notes.items() if k != key}
        ledger = {k: t for k, t in self.ledger.items() if k != key}
        return SendState(self.version + 1, ledger, caps, notes)


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def send_key(campaign_id: str, step: int, episode: str) -> str:
    return f"{campaign_id}#{step}#{episode}"


def parse_send_key(key: str) -> tuple[str, int, str]:
    """(campaign, step, episode) of a send key (the episode, an ISO instant, holds no '#')."""
    campaign_id, step, episode = key.rsplit("#", 2)
    return campaign_id, int(step), episode


@dataclass(frozen=True)
class OpenClaim:
    """A claim in a user's ledger, with its note."""

    user_id: str
    key: str
    note: ClaimNote

    @property
    def claimed_at(self) -> int:
        return self.note.at


@dataclass(frozen=True)
class ClaimRecord:
    """What the store holds about a claim, read consistently: whether it is still in the ledger (not
    given back since), its record's status (None: no record yet), and the provider's message id when
    the provider reported the message accepted (SES's `Send` event)."""

    claimed: bool = False
    status: SendStatus | None = None
    accepted_message_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed send: its status, the experiment cell it counts in, what the
    provider said (its message id when sent, its error code otherwise), the program version the send
    ran (config/bundle.py), and the counters the record adds to its cell when it is written
    (`counts`), in the same write. The sweeper's outcome for a claim left without one knows no
    version."""

    user_id: str
    key: str
    status: SendStatus
    campaign_id: str
    step: int
    arm: str
    segment: str
    at: datetime
    run_id: str | None = None
    channel: str | None = None
    template: str | None = None
    message_id: str | None = None
    error: str | None = None
    counts: tuple[str, ...] = ()
    program_version: str | None = None

    @property
    def status_by_message_id(self) -> bool:
        """A sent text: SNS's delivery-status log names only the provider's message id, so the store
        keeps the message's experiment cell under that id too (services/feedback/sms_status.py reads it)."""
        return self.status == SendStatus.SENT and self.channel == "sms" and self.message_id is not None

    @property
    def items(self) -> int:
        """The store items the outcome takes: its record, and a sent text's lookup by message id."""
        return 2 if self.status_by_message_id else 1

    @property
    def cell(self) -> CellKey:
        return (self.campaign_id, self.step, self.arm, self.segment)

    @property
    def totals(self) -> dict[str, int]:
        """What the record adds to the campaign's totals (auto-pause watches emails sent)."""
        return {"sent_email": 1} if self.status == SendStatus.SENT and self.channel == "email" else {}


@dataclass(frozen=True)
class SmsCell:
    """The experiment cell a text was sent in, kept by SNS's message id (adapters/sms_lookup.py):
    a delivery status names only that id (services/feedback/sms_status.py)."""

    campaign_id: str
    step: int
    arm: str
    segment: str
