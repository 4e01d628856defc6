"""What a send job knows before its first guard: read in one batch by the context loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winback.models.coupons import IssuedCoupon
    from winback.models.profile import Profile
    from winback.models.send_state import SendState


@dataclass(frozen=True)
class SendContext:
    """The job's users as stored now: profiles, send states, answers to "why did you leave"; whether
    the stack's sending is on (services/send/run.py holds the job while it is off), whether the
    campaign is paused, and which channels are paused account-wide (an empty set until a store
    reads channel pauses: the guard that honours them is in services/send/guards.py)."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    states: dict[str, SendState] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The stack's sending switch (adapters/sending_switch.py: off on a new stack until turned on).
    sending_on: bool = True
    campaign_paused: bool = False
    paused_channels: frozenset[str] = frozenset()
    # The coupons issued for this campaign and episode, by user and step, for the steps in
    # `coupon_steps_read` (read with the rest: no read per user when issuing or reminding).
    coupons: dict[str, dict[int, IssuedCoupon]] = field(default_factory=dict)
    coupon_steps_read: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ParkedJob:
    """A send job waiting in DeferralTable until `due`: a next step, or recipients held back."""

    key: str
    body: str
    due: datetime
    kind: str
