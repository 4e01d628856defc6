"""In-memory stores, channels and clock for the send service (winback.services.send.ports).

They keep the adapters' contracts that the guarantees rest on: a claim is a conditional write on
the send state's version; a deferral with the same key replaces the earlier one; a coupon is issued
once per send and within the budget."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from winback.adapters.coupon_store import IssuedCoupon
from winback.adapters.messaging_store import LEDGER_TTL, SWEEP_LOOKBACK, Claim, SendState
from winback.config.incentives import Budget, OfferIncentive
from winback.domain.audience.recommendations import Recommendation
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.profile import Profile
from winback.models.send_context import ParkedJob, SendContext
from winback.services.send.ports import Channel, Pacer, SendDeps, Unpaced


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


@dataclass
class InMemoryMessaging:
    """The MessagingTable as the sender uses it: send states, outcomes, counters, answers, pauses."""

    states: dict[str, SendState] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    cells: dict[tuple[str, int | None, str, str], Counter[str]] = field(default_factory=dict)
    totals: dict[str, Counter[str]] = field(default_factory=dict)
    answers: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    paused_campaigns: set[str] = field(default_factory=set)
    claims: int = 0  # successful claims, for the tests

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
        stored = self.states.get(user_id, SendState())
        if stored.version != state.version:
            return Claim.STATE_CHANGED
        cutoff, recent, at = _epoch(now - LEDGER_TTL), _epoch(now - SWEEP_LOOKBACK), _epoch(now)
        ledger = {k: t for k, t in state.ledger.items() if t > cutoff} | {key: at}
        self.states[user_id] = SendState(
            version=state.version + 1,
            ledger=ledger,
            caps={**copy.deepcopy(state.caps), channel: {**live_slots, key: at}}
            | {scope: {**slots, key: at} for scope, slots in (also or {}).items()},
            cells={k: c for k, c in state.cells.items() if ledger.get(k, 0) > recent} | {key: "|".join(cell)},
        )
        self.claims += 1
        return Claim.CLAIMED

    def read_state(self, user_id: str) -> SendState:
        return copy.deepcopy(self.states.get(user_id, SendState()))

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        state = self.states[user_id]
        state.ledger.pop(key, None)
        for scope in (channel, *also):
            state.caps.get(scope, {}).pop(key, None)
        state.cells.pop(key, None)
        state.version += 1

    def record_outcomes(self, outcomes: Iterable[Mapping[str, Any]]) -> None:
        for item in outcomes:
            self.outcomes[(str(item["pk"]).removeprefix("user#"), str(item["sk"]).removeprefix("msg#"))] = dict(item)

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


@dataclass
class InMemoryContext:
    """The job's context from in-memory profiles and messaging (SendContextLoader, without the batch read)."""

    profiles: dict[str, Profile]
    messaging: InMemoryMessaging
    paused_channels: set[str] = field(default_factory=set)

    coupons: InMemoryCoupons | None = None

    def load(self, job: SendJob, coupon_steps: Collection[int] = (), channels: Collection[str] = ()) -> SendContext:
        users = [r.user_id for r in job.recipients]
        coupons: dict[str, dict[int, IssuedCoupon]] = {}
        if self.coupons is not None:
            for r in job.recipients:
                for step in coupon_steps:
                    if (found := self.coupons.issued(r.user_id, job.campaign_id, step, r.episode)) is not None:
                        coupons.setdefault(r.user_id, {})[step] = found
        m = self.messaging
        return SendContext(
            profiles={u: self.profiles[u] for u in users if u in self.profiles},
            states={u: copy.deepcopy(m.states[u]) for u in users if u in m.states},
            answers={
                r.user_id: m.answers[(r.user_id, job.campaign_id, r.episode)]
                for r in job.recipients
                if (r.user_id, job.campaign_id, r.episode) in m.answers
            },
            campaign_paused=job.campaign_id in m.paused_campaigns,
            paused_channels=frozenset(self.paused_channels),
            coupons=coupons,
            coupon_steps_read=frozenset(coupon_steps) if self.coupons is not None else frozenset(),
        )


@dataclass
class InMemorySuppressions:
    addresses: set[str] = field(default_factory=set)

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        return {a for a in addresses if a in self.addresses}

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        first = address not in self.addresses
        self.addresses.add(address)
        return first


@dataclass(frozen=True)
class Parked:
    body: str
    due: datetime
    kind: str


@dataclass
class InMemoryDeferrals:
    """DeferralTable; also the Records port (outcomes go to `messaging`)."""

    messaging: InMemoryMessaging | None = None
    jobs: dict[str, Parked] = field(default_factory=dict)

    def defer(self, key: str, body: str, due: datetime, kind: str) -> None:
        self.jobs[key] = Parked(body, due, kind)

    def write(self, outcomes: Sequence[Mapping[str, Any]], parked: Sequence[ParkedJob]) -> None:
        """The Records port: outcomes into `messaging`, parked jobs here."""
        if self.messaging is None:
            raise RuntimeError("InMemoryDeferrals needs the messaging store to record outcomes")
        self.messaging.record_outcomes(outcomes)
        for p in parked:
            self.jobs[p.key] = Parked(p.body, p.due, p.kind)

    def take_due(self, now: datetime) -> list[Parked]:
        """Remove and return the jobs due at `now` (the release schedule's part)."""
        due = [k for k, p in self.jobs.items() if p.due <= now]
        return [self.jobs.pop(k) for k in due]

    def of_kind(self, kind: str) -> list[SendJob]:
        return [SendJob.model_validate_json(p.body) for p in self.jobs.values() if p.kind == kind]


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


class NoRecommendations:
    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        return []


@dataclass
class RecordingChannel:
    """A channel that accepts every message (its id `<channel>-<n>`), unless `fail` says otherwise:
    a function of the message returning the error to raise (Throttled, Rejected, Uncertain) or None."""

    name: str
    sent: list[Outbound] = field(default_factory=list)
    fail: Callable[[Outbound], Exception | None] | None = None

    def send(self, message: Outbound) -> str:
        error = self.fail(message) if self.fail is not None else None
        if error is not None:
            raise error
        self.sent.append(message)
        return f"{self.name}-{len(self.sent)}"


@dataclass
class FakeWorld:
    """Every port in memory, and the SendDeps over them."""

    clock: FakeClock
    profiles: dict[str, Profile] = field(default_factory=dict)
    messaging: InMemoryMessaging = field(default_factory=InMemoryMessaging)
    suppression: InMemorySuppressions = field(default_factory=InMemorySuppressions)
    deferrals: InMemoryDeferrals = field(default_factory=InMemoryDeferrals)
    coupons: InMemoryCoupons = field(default_factory=InMemoryCoupons)
    offers: InMemoryOffers = field(default_factory=InMemoryOffers)
    channels: dict[str, RecordingChannel] = field(
        default_factory=lambda: {name: RecordingChannel(name) for name in ("email", "sms", "push", "inbox")}
    )
    paused_channels: set[str] = field(default_factory=set)
    pacer: Pacer = field(default_factory=Unpaced)

    def __post_init__(self) -> None:
        self.deferrals.messaging = self.messaging

    def deps(self) -> SendDeps:
        channels: dict[str, Channel] = dict(self.channels)
        return SendDeps(
            context=InMemoryContext(self.profiles, self.messaging, self.paused_channels, self.coupons),
            messaging=self.messaging,
            suppression=self.suppression,
            records=self.deferrals,
            coupons=self.coupons,
            offers=self.offers,
            channels=channels,
            recommender=NoRecommendations(),
            unsubscribe_key=b"k" * 32,
            public_base_url="https://api.example.com",
            clock=self.clock,
            pacer=self.pacer,
        )

    def sent(self, channel: str = "email") -> list[str]:
        return [m.user_id for m in self.channels[channel].sent]
