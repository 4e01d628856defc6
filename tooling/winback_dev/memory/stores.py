"""In-memory stores of the send service's ports: the job's context, suppressions (the feedback's
too), deferrals (the Records port), coupons and offers."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from winback.config.incentives import Budget, OfferIncentive
from winback.models.bookkeeping import Bookkeeping
from winback.models.coupons import IssuedCoupon
from winback.models.jobs import SendJob
from winback.models.profile import Profile
from winback.models.send_context import ParkedJob, SendContext
from winback_dev.memory.messaging import InMemoryMessaging


@dataclass
class InMemoryCoupons:
    issued_coupons: dict[tuple[str, str, int, str], IssuedCoupon] = field(default_factory=dict)
    spent: Counter[str] = field(default_factory=Counter)

    def issue(
        self,
        user_id: str,
        campaign_id: str,
        step: int,
        episode: str,
        value_minor: int,
        currency: str,
        expires_at: datetime,
        budget: Budget | None,
        now: datetime,
        pointer_absent: bool = False,
    ) -> IssuedCoupon | None:
        key = (user_id, campaign_id, step, episode)
        if key in self.issued_coupons:
            return self.issued_coupons[key]
        if budget is not None and self.spent[campaign_id] >= budget.max_count:
            return None
        self.spent[campaign_id] += 1
        code = f"WB{len(self.issued_coupons):08d}"
        coupon = IssuedCoupon(code, user_id, campaign_id, step, episode, value_minor, currency, expires_at)
        self.issued_coupons[key] = coupon
        return coupon

    def issued(self, user_id: str, campaign_id: str, step: int, episode: str) -> IssuedCoupon | None:
        return self.issued_coupons.get((user_id, campaign_id, step, episode))

    def mark_announced(self, coupons: Sequence[IssuedCoupon]) -> None:
        for c in coupons:
            key = (c.user_id, c.campaign_id, c.step, c.episode)
            self.issued_coupons[key] = dataclasses.replace(self.issued_coupons[key], announced=True)


@dataclass
class InMemoryOffers:
    granted: set[tuple[str, str, int, str]] = field(default_factory=set)
    announced: list[IssuedCoupon] = field(default_factory=list)

    def announce_coupons(self, coupons: Sequence[IssuedCoupon], now: datetime) -> list[IssuedCoupon]:
        self.announced += coupons
        return list(coupons)

    def grant(
        self, user_id: str, campaign_id: str, step: int, episode: str, incentive: OfferIncentive, now: datetime
    ) -> bool:
        key = (user_id, campaign_id, step, episode)
        first = key not in self.granted
        self.granted.add(key)
        return first


@dataclass
class InMemoryContext:
    """The job's context from in-memory profiles and stores (SendContextLoader, without the batch
    read). `profiles` may be any mapping: the simulator's generates each user when read."""

    profiles: Mapping[str, Profile]
    messaging: InMemoryMessaging
    paused_channels: set[str] = field(default_factory=set)
    coupons: InMemoryCoupons | None = None

    def load(self, job: SendJob, coupon_steps: Collection[int] = (), channels: Collection[str] = ()) -> SendContext:
        users = [r.user_id for r in job.recipients]
        m = self.messaging
        return SendContext(
            profiles={u: self.profiles[u] for u in users if u in self.profiles},
            states={u: m.read_state(u) for u in users},
            answers={
                r.user_id: m.answers[(r.user_id, job.campaign_id, r.episode)]
                for r in job.recipients
                if (r.user_id, job.campaign_id, r.episode) in m.answers
            },
            sending_on=m.sending_on,
            campaign_paused=job.campaign_id in m.paused_campaigns,
            paused_channels=frozenset(self.paused_channels),
            coupons=self._coupons(job, coupon_steps),
            coupon_steps_read=frozenset(coupon_steps) if self.coupons is not None else frozenset(),
        )

    def _coupons(self, job: SendJob, coupon_steps: Collection[int]) -> dict[str, dict[int, IssuedCoupon]]:
        coupons: dict[str, dict[int, IssuedCoupon]] = {}
        if self.coupons is None:
            return coupons
        for r in job.recipients:
            for step in coupon_steps:
                if (found := self.coupons.issued(r.user_id, job.campaign_id, step, r.episode)) is not None:
                    coupons.setdefault(r.user_id, {})[step] = found
        return coupons


@dataclass
class InMemorySuppressions:
    """The SuppressionTable: the addresses suppressed, and the first reason of each suppressed here
    (an address a test adds to `addresses` itself has none, so no reason lifts it)."""

    addresses: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        return {a for a in addresses if a in self.addresses}

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        first = address not in self.addresses
        self.addresses.add(address)
        if first:
            self.reasons[address] = reason
        return first

    def lift(self, address: str, reason: str) -> bool:
        if self.reasons.get(address) != reason:
            return False
        del self.reasons[address]
        self.addresses.discard(address)
        return True


@dataclass
class InMemoryDeferrals:
    """DeferralTable, and the Records port: outcomes and counters go to `messaging`, parked jobs are
    kept here (one per key: a parked job replaces an earlier one with the same key). A write is all or
    nothing, refused whole when an outcome's claim already has a terminal record (as SendRecords')."""

    messaging: InMemoryMessaging
    jobs: dict[str, ParkedJob] = field(default_factory=dict)

    def write(self, entry: Bookkeeping) -> frozenset[tuple[str, str]]:
        m = self.messaging
        refused = m.refused(entry.outcomes)
        if refused:
            return refused
        for outcome in entry.outcomes:
            m.record(outcome)
        for (campaign_id, step, arm, segment), counts in entry.cells.items():
            m.add_cell(campaign_id, step, arm, segment, counts)
        for campaign_id, counts in entry.totals.items():
            m.add_totals(campaign_id, counts)
        for job in entry.parked:
            self.park(job)
        return frozenset()

    def park(self, job: ParkedJob) -> None:
        self.jobs[job.key] = job

    def of_kind(self, kind: str) -> list[SendJob]:
        return [SendJob.model_validate_json(p.body) for p in self.jobs.values() if p.kind == kind]
