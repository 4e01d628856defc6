"""In-memory suppression and messaging stores for the feedback tests: only what feedback calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from winback.adapters.messaging_store import MessagingStore
from winback.adapters.sms_lookup import SmsCell
from winback.adapters.suppression_store import SuppressionStore


class MemorySuppression(SuppressionStore):
    def __init__(self) -> None:
        super().__init__("memory")
        self.entries_by_address: dict[str, str] = {}

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        return self.entries_by_address.setdefault(address, reason) == reason

    def lift(self, address: str, reason: str) -> bool:
        if self.entries_by_address.get(address) != reason:
            return False
        del self.entries_by_address[address]
        return True


class MemoryMessaging(MessagingStore):
    def __init__(self, totals: Mapping[str, int] | None = None, sms: Mapping[str, SmsCell] | None = None) -> None:
        super().__init__("memory")
        self.seen: set[tuple[str, str]] = set()
        self.counted: Counter[tuple[str, int | None, str, str, str]] = Counter()
        self.totals: Counter[str] = Counter(totals or {})
        self.paused: dict[str, str] = {}
        self.soft_bounces: dict[str, set[str]] = {}
        self.sms = dict(sms or {})

    def first_time(self, kind: str, fact_id: str, now: datetime, keep: timedelta = timedelta(days=14)) -> bool:
        if (kind, fact_id) in self.seen:
            return False
        self.seen.add((kind, fact_id))
        return True

    def add_cell(self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]) -> None:
        for name, n in counts.items():
            self.counted[(campaign_id, step, arm, segment, name)] += n

    def add_totals(self, campaign_id: str, counts: Mapping[str, int]) -> dict[str, int]:
        self.totals.update(counts)
        return dict(self.totals)

    def pause(self, campaign_id: str, reason: str, now: datetime) -> bool:
        return self.paused.setdefault(campaign_id, reason) == reason

    def count_soft_bounce(self, address: str, feedback_id: str, now: datetime, window: timedelta) -> int | None:
        seen = self.soft_bounces.setdefault(address, set())
        if feedback_id in seen:
            return None
        seen.add(feedback_id)
        return len(seen)

    def sms_cell(self, message_id: str) -> SmsCell | None:
        return self.sms.get(message_id)
