"""What a send job knows before its first guard: read in one batch by the context loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winback.adapters.coupon_store import IssuedCoupon
    from winback.adapters.messaging_store import SendState
    from winback.models.profile import Profile


@dataclass(frozen=True)
class SendContext:
    """The job's users as stored now: profiles, send states, answers to "why did you leave"; whether
    the campaign is paused, and which channels are paused account-wide (an empty set until a store
    reads channel pauses: the guard that honours them is in services/send/guards.py)."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    states: dict[str, SendState] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    campaign_paused: bool = False
    paused_channels: frozenset[str] = frozenset()
    # Coupons issued for an earlier step of this job's campaign, by user (a later step reminds them).
    earlier_coupons: dict[str, IssuedCoupon] = field(default_factory=dict)
