"""The send ledger's vocabulary: send keys, a user's send state, claims, outcome statuses and the
Outcome of one send, as the send service and its stores speak of them.

A send key is `<campaign>#<step>#<episode>`: one message per campaign step and dormancy episode. A
user's send state holds the ledger (send key → claimed at) and the frequency-cap slots; a claim
writes both in one conditional write before the provider is called, and every claim ends with one
Outcome: sent, failed or uncertain (the provider's answer was lost; never resent).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# How long a send is remembered (the ledger entry and its outcome record).
LEDGER_TTL = timedelta(days=400)
# How long a claim's experiment cell is kept in the send state: the sweeper looks no further back.
SWEEP_LOOKBACK = timedelta(days=2)


class Claim(enum.Enum):
    """A claim's answer: written, or the send state changed since it was read (read again, retry)."""

    CLAIMED = "claimed"
    STATE_CHANGED = "state_changed"


class SendStatus(enum.StrEnum):
    """What became of a claimed send."""

    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # the provider may have accepted it: stays claimed, never resent


@dataclass
class SendState:
    """A user's send ledger and frequency-cap slots, as read (version 0: nothing stored yet)."""

    version: int = 0
    ledger: dict[str, int] = field(default_factory=dict)  # send key -> claimed at (epoch seconds)
    caps: dict[str, dict[str, int]] = field(default_factory=dict)  # channel or "all" -> {send key: sent at}
    cells: dict[str, str] = field(default_factory=dict)  # send key -> "arm|segment" of recent claims


def send_key(campaign_id: str, step: int, episode: str) -> str:
    return f"{campaign_id}#{step}#{episode}"


def parse_send_key(key: str) -> tuple[str, int, str]:
    """(campaign, step, episode) of a send key (the episode, an ISO instant, holds no '#')."""
    campaign_id, step, episode = key.rsplit("#", 2)
    return campaign_id, int(step), episode


@dataclass(frozen=True)
class OpenClaim:
    """A claim in a user's ledger, with the experiment cell it was made for."""

    user_id: str
    key: str
    claimed_at: int
    arm: str
    segment: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed send: its status, the experiment cell it counts in, and what the
    provider said (its message id when sent, its error code otherwise), and the program version the
    send ran (config/bundle.py). The sweeper's outcome for a claim left without one knows no run,
    channel, template or version."""

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
    program_version: str | None = None

    @property
    def status_by_message_id(self) -> bool:
        """A sent text: SNS's delivery-status log names only the provider's message id, so the store
        keeps the message's experiment cell under that id too (services/sms_status.py reads it)."""
        return self.status == SendStatus.SENT and self.channel == "sms" and self.message_id is not None
