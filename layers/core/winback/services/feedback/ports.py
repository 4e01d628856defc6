"""What the feedback flow needs of its stores (adapters/messaging_store.py's MessagingStore and
adapters/suppression_store.py's SuppressionStore implement them; tooling/winback_dev/memory/ keeps
them in memory for the unit tests)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from winback.models.send_state import SmsCell


class FeedbackLedger(Protocol):
    """The MessagingTable as the feedback uses it: facts counted once, cells and running totals,
    a campaign's pause, transient bounces per address, a text's cell by its message id, and SES's
    acceptance of a claimed send."""

    def first_time(self, kind: str, fact_id: str, now: datetime, keep: timedelta = ...) -> bool:
        """True the first time (kind, fact_id) is seen."""
        ...

    def add_cell(
        self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]
    ) -> None: ...

    def add_totals(self, campaign_id: str, counts: Mapping[str, int]) -> dict[str, int]:
        """Add to the campaign's running totals and return them all."""
        ...

    def pause(self, campaign_id: str, reason: str, now: datetime) -> bool:
        """Pause the campaign; True if this call paused it (it was running)."""
        ...

    def count_soft_bounce(self, address: str, feedback_id: str, now: datetime, window: timedelta) -> int | None:
        """The address's transient bounces with this one; None when this feedback id was counted before."""
        ...

    def sms_cell(self, message_id: str) -> SmsCell | None: ...

    def record_accepted(self, user_id: str, key: str, message_id: str, now: datetime) -> None: ...


class SuppressionList(Protocol):
    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        """Suppress `address`, keeping the first reason; True if it was not suppressed before."""
        ...

    def lift(self, address: str, reason: str) -> bool:
        """Remove the address's entry if it was suppressed for `reason`; True if one was."""
        ...
